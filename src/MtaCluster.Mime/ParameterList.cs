using System.Collections;
using System.Text;

namespace MtaCluster.Mime;

/// <summary>
/// The parameters of Content-Type or Content-Disposition (RFC 2045 §5.1) with RFC 2231: continuations
/// (<c>name*0=</c>, <c>name*1*=</c>), charset'language'percent-encoding, and, as mailers send it, RFC 2047 inside quotes.
/// Names are case-insensitive; order is kept.
/// </summary>
public sealed class ParameterList : IEnumerable<KeyValuePair<string, string>>
{
    /// <summary>RFC 2231 sections are kept short so a folded line never nears 78 characters.</summary>
    private const int SectionLength = 60;

    private readonly List<KeyValuePair<string, string>> _parameters = [];

    public int Count => _parameters.Count;

    public string? this[string name]
    {
        get => _parameters.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            int index = _parameters.FindIndex(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                _parameters[index] = new(_parameters[index].Key, value);
            }
            else
            {
                _parameters.Add(new(name, value));
            }
        }
    }

    /// <summary>Reads "; name=value" pairs from <paramref name="tokenizer"/> to the end; broken pairs are skipped.</summary>
    internal static ParameterList Parse(ref MimeTokenizer tokenizer)
    {
        var sections = new List<(string Name, int Index, bool Encoded, string Value)>();
        while (true)
        {
            tokenizer.SkipCfws();
            if (tokenizer.AtEnd)
            {
                break;
            }

            if (tokenizer.Peek == ';')
            {
                tokenizer.Position++;
                continue;
            }

            string name = tokenizer.ReadAtom("=;");
            tokenizer.SkipCfws();
            if (name.Length == 0 || tokenizer.Peek != '=')
            {
                tokenizer.ReadAtom(";");
                if (name.Length == 0 && !tokenizer.AtEnd && tokenizer.Peek != ';')
                {
                    tokenizer.Position++;
                }

                continue;
            }

            tokenizer.Position++;
            tokenizer.SkipCfws();
            string value = tokenizer.Peek == '"' ? tokenizer.ReadQuoted() : tokenizer.ReadAtom(";");
            (string baseName, int index, bool encoded) = SplitName(name);
            sections.Add((baseName, index, encoded, value));
        }

        var list = new ParameterList();
        foreach (var group in sections.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase))
        {
            list._parameters.Add(new(group.Key, Join(group.OrderBy(s => s.Index).ToList())));
        }

        return list;
    }

    /// <summary>"; name=value" for each, quoted where tspecials need it, RFC 2231 UTF-8 (split in sections) where non-ASCII.</summary>
    public override string ToString()
    {
        var output = new StringBuilder();
        foreach ((string name, string value) in _parameters)
        {
            if (value.All(c => c is >= ' ' and <= '~'))
            {
                output.Append("; ").Append(name).Append('=').Append(Quote(value));
                continue;
            }

            string encoded = "utf-8''" + PercentEncode(value);
            if (encoded.Length <= SectionLength)
            {
                output.Append("; ").Append(name).Append("*=").Append(encoded);
                continue;
            }

            int section = 0;
            for (int i = 0; i < encoded.Length; section++)
            {
                int length = Math.Min(SectionLength, encoded.Length - i);
                // Never split a %XX triplet between sections.
                while (i + length < encoded.Length && length > 2 && (encoded[i + length - 1] == '%' || encoded[i + length - 2] == '%'))
                {
                    length--;
                }

                output.Append("; ").Append(name).Append('*').Append(section).Append("*=").Append(encoded, i, length);
                i += length;
            }
        }

        return output.ToString();
    }

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _parameters.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static (string Name, int Index, bool Encoded) SplitName(string name)
    {
        bool encoded = name.EndsWith('*');
        string bare = encoded ? name[..^1] : name;
        int star = bare.LastIndexOf('*');
        if (star > 0 && int.TryParse(bare.AsSpan(star + 1), out int index) && index >= 0)
        {
            return (bare[..star], index, encoded);
        }

        return (bare, 0, encoded);
    }

    /// <summary>RFC 2231 §4.1: the charset is named in the first encoded section; later encoded sections are its octets too.</summary>
    private static string Join(List<(string Name, int Index, bool Encoded, string Value)> sections)
    {
        Encoding? charset = null;
        var octets = new List<byte>();
        for (int i = 0; i < sections.Count; i++)
        {
            (_, _, bool encoded, string value) = sections[i];
            if (!encoded)
            {
                octets.AddRange(Encoding.UTF8.GetBytes(value));
                continue;
            }

            if (i == 0)
            {
                string[] parts = value.Split('\'', 3);
                if (parts.Length == 3)
                {
                    charset = Charsets.GetEncoding(parts[0]);
                    value = parts[2];
                }
            }

            octets.AddRange(PercentDecode(value));
        }

        string text = (charset ?? Encoding.UTF8).GetString(octets.ToArray());
        return text.Contains("=?", StringComparison.Ordinal) ? Rfc2047.DecodeText(text) : text;
    }

    private static List<byte> PercentDecode(string value)
    {
        var bytes = new List<byte>(value.Length);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && Uri.IsHexDigit(value[i + 1]) && Uri.IsHexDigit(value[i + 2]))
            {
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }

        return bytes;
    }

    /// <summary>RFC 2231 §7 attribute-char: token characters except "*", "'", "%".</summary>
    private static string PercentEncode(string value)
    {
        var output = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is > 32 and < 127 && !"*'%()<>@,;:\\\"/[]?=".Contains((char)b))
            {
                output.Append((char)b);
            }
            else
            {
                output.Append('%').Append(b.ToString("X2"));
            }
        }

        return output.ToString();
    }

    private static string Quote(string value)
    {
        bool token = value.Length > 0 && value.All(c => c is > ' ' and <= '~' && !"()<>@,;:\\\"/[]?=".Contains(c));
        return token ? value : "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
