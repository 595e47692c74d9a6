namespace MtaCluster.Testing;

/// <summary>
/// The examples commented out in cluster-config/*.yaml, found by the files' convention: an example line
/// starts in the first column with "# " followed by the line as it would stand, indentation kept (so
/// always at least one more space: examples sit inside a section). Prose comments are indented with the
/// settings they describe, or are top-level text after a single space; the file's header, before the
/// first setting, is prose whatever its indentation.
/// </summary>
public static class CommentedExamples
{
    /// <summary>One example: its first line (1-based, as an editor shows it) and how many lines it has.</summary>
    public sealed record Example(int Line, int Count);

    public static IReadOnlyList<Example> Find(IReadOnlyList<string> lines)
    {
        var examples = new List<Example>();
        var seenSetting = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (IsSetting(lines[i])) seenSetting = true;
            if (!seenSetting || !IsExampleLine(lines[i])) continue;
            var start = i;
            while (i + 1 < lines.Count && IsExampleLine(lines[i + 1])) i++;
            examples.Add(new Example(start + 1, i - start + 1));
        }
        return examples;
    }

    /// <summary>
    /// The file as an operator leaves it after uncommenting <paramref name="examples"/>: "# " deleted in
    /// front of each of their lines, and an empty "{}" or "[]" removed from the setting they extend.
    /// </summary>
    public static string Uncomment(IReadOnlyList<string> lines, IEnumerable<Example> examples)
    {
        var result = lines.ToArray();
        foreach (var example in examples)
        {
            var first = example.Line - 1;
            for (var i = first; i < first + example.Count; i++) result[i] = lines[i][2..];
            var indent = Indentation(result[first]);
            for (var i = first - 1; i >= 0; i--)
            {
                if (!IsSetting(result[i]) || Indentation(result[i]) >= indent) continue;
                var trimmed = result[i].TrimEnd();
                if (trimmed.EndsWith(": {}", StringComparison.Ordinal) || trimmed.EndsWith(": []", StringComparison.Ordinal))
                    result[i] = trimmed[..^3];
                break;
            }
        }
        return string.Join('\n', result) + "\n";
    }

    public static string UncommentAll(IReadOnlyList<string> lines) => Uncomment(lines, Find(lines));

    private static bool IsExampleLine(string line) => line.Length > 2 && line.StartsWith("#  ", StringComparison.Ordinal) && !string.IsNullOrWhiteSpace(line);

    private static bool IsSetting(string line) => line.TrimStart() is { Length: > 0 } text && text[0] != '#';

    private static int Indentation(string line) => line.Length - line.TrimStart().Length;
}
