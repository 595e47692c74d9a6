using System.Collections;
using System.Text;

namespace MtaCluster.Mime;

/// <summary>
/// An address list (RFC 5322 §3.4) as To, Cc or From carry it. Parsing is lenient and never throws: comments, quoted
/// and encoded display names, groups, obsolete routes, empty list members (§4.4) and a bare "addr (Name)" are read;
/// an unreadable member is skipped.
/// </summary>
public sealed class InternetAddressList : IReadOnlyList<InternetAddress>
{
    private readonly List<InternetAddress> _addresses;

    public InternetAddressList(IEnumerable<InternetAddress>? addresses = null) => _addresses = [.. addresses ?? []];

    public int Count => _addresses.Count;

    public InternetAddress this[int index] => _addresses[index];

    public void Add(InternetAddress address) => _addresses.Add(address);

    /// <summary>Every mailbox, those inside groups included.</summary>
    public IEnumerable<MailboxAddress> Mailboxes =>
        _addresses.SelectMany(a => a is GroupAddress g ? g.Members.Mailboxes : [(MailboxAddress)a]);

    public static InternetAddressList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokenizer = new MimeTokenizer(text);
        return new InternetAddressList(ParseList(ref tokenizer, inGroup: false));
    }

    public string ToString(bool utf8) => string.Join(", ", _addresses.Select(a => a.ToString(utf8)));

    public override string ToString() => ToString(utf8: false);

    public IEnumerator<InternetAddress> GetEnumerator() => _addresses.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static List<InternetAddress> ParseList(ref MimeTokenizer tokenizer, bool inGroup)
    {
        var list = new List<InternetAddress>();
        while (true)
        {
            tokenizer.SkipCfws();
            if (tokenizer.AtEnd)
            {
                break;
            }

            char c = tokenizer.Peek;
            if (c == ',')
            {
                tokenizer.Position++;
                continue;
            }

            if (c == ';')
            {
                tokenizer.Position++;
                if (inGroup)
                {
                    break;
                }

                continue;
            }

            int before = tokenizer.Position;
            InternetAddress? address = ParseAddress(ref tokenizer, inGroup);
            if (address is not null)
            {
                list.Add(address);
            }

            if (tokenizer.Position == before)
            {
                tokenizer.Position++;
            }
        }

        return list;
    }

    private static InternetAddress? ParseAddress(ref MimeTokenizer tokenizer, bool inGroup)
    {
        int start = tokenizer.Position;
        var phrase = new List<string>();
        string? comment = null;
        while (!tokenizer.AtEnd && tokenizer.Peek is not ('<' or ':' or '@' or ',' or ';' or '>'))
        {
            phrase.Add(tokenizer.Peek == '"' ? tokenizer.ReadQuoted() : tokenizer.ReadAtom("<>:@,;"));
            comment = tokenizer.SkipCfws() ?? comment;
        }

        string name = Rfc2047.DecodeText(string.Join(' ', phrase));
        switch (tokenizer.Peek)
        {
            case ':' when !inGroup:
                tokenizer.Position++;
                return new GroupAddress(name, ParseList(ref tokenizer, inGroup: true));
            case '<':
                tokenizer.Position++;
                (List<string> route, string address) = ReadAngle(ref tokenizer);
                return address.Length == 0 && name.Length == 0 ? null : new MailboxAddress(name, address, route);
            case '@':
                tokenizer.Position = start;
                string spec = ReadAddrSpec(ref tokenizer, out string? trailing);
                return new MailboxAddress(trailing ?? string.Empty, spec);
            default:
                // A bare word ("postmaster", "root") is an address without a domain, as MimeKit reads it.
                return phrase.Count == 1 ? new MailboxAddress(comment, phrase[0]) : null;
        }
    }

    private static (List<string> Route, string Address) ReadAngle(ref MimeTokenizer tokenizer)
    {
        var route = new List<string>();
        tokenizer.SkipCfws();
        while (tokenizer.Peek is '@' or ',')
        {
            tokenizer.Position++;
            tokenizer.SkipCfws();
            if (tokenizer.Peek == '@')
            {
                tokenizer.Position++;
            }

            string domain = tokenizer.ReadAtom(",:>@");
            if (domain.Length > 0)
            {
                route.Add(domain);
            }

            tokenizer.SkipCfws();
            if (tokenizer.Peek == ':')
            {
                tokenizer.Position++;
                break;
            }
        }

        string address = ReadAddrSpec(ref tokenizer, out _);
        tokenizer.SkipCfws();
        if (tokenizer.Peek == '>')
        {
            tokenizer.Position++;
        }

        return (route, address);
    }

    /// <summary>local-part "@" domain, CFWS between the pieces allowed (§4.4); a comment after it is returned as a name.</summary>
    private static string ReadAddrSpec(ref MimeTokenizer tokenizer, out string? trailingComment)
    {
        var spec = new StringBuilder();
        trailingComment = null;
        while (!tokenizer.AtEnd)
        {
            trailingComment = tokenizer.SkipCfws() ?? (spec.Length == 0 ? null : trailingComment);
            char c = tokenizer.Peek;
            if (tokenizer.AtEnd || c is ',' or ';' or '>' or '<')
            {
                break;
            }

            if (c == '"')
            {
                string quoted = tokenizer.ReadQuoted();
                spec.Append('"').Append(quoted.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
            }
            else if (c == '[')
            {
                int close = tokenizer.Text.IndexOf(']', tokenizer.Position);
                int end = close < 0 ? tokenizer.Text.Length : close + 1;
                spec.Append(tokenizer.Text, tokenizer.Position, end - tokenizer.Position);
                tokenizer.Position = end;
            }
            else if (c is '@' or '.')
            {
                spec.Append(c);
                tokenizer.Position++;
            }
            else
            {
                string atom = tokenizer.ReadAtom("<>@,;.[");
                if (atom.Length == 0)
                {
                    tokenizer.Position++;
                    continue;
                }

                if (spec.Length > 0 && spec[^1] is not ('@' or '.'))
                {
                    break;
                }

                spec.Append(atom);
                trailingComment = null;
            }
        }

        return spec.ToString();
    }
}
