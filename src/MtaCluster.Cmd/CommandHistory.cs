namespace MtaCluster.Cmd;

/// <summary>
/// The interactive prompt's history: kept in ~/.pbm_history (or $PBM_HISTORY), one command a line,
/// the last <see cref="MaxEntries"/>; a history that cannot be written is kept for the session only.
/// </summary>
public sealed class CommandHistory
{
    public const int MaxEntries = 1000;
    public const string Variable = "PBM_HISTORY";

    private readonly List<string> _entries = [];
    private readonly string? _path;

    public CommandHistory(Func<string, string?> environment)
    {
        var home = environment("HOME");
        _path = environment(Variable) is { Length: > 0 } path ? path : home is { Length: > 0 } ? Path.Combine(home, ".pbm_history") : null;
        try
        {
            if (_path is not null && File.Exists(_path)) _entries.AddRange(File.ReadLines(_path).Where(l => l.Length > 0).TakeLast(MaxEntries));
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public IReadOnlyList<string> Entries => _entries;

    public void Add(string line)
    {
        if (_entries.Count > 0 && _entries[^1] == line) return;
        _entries.Add(line);
        if (_path is null) return;
        try
        {
            File.AppendAllLines(_path, [line]);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
