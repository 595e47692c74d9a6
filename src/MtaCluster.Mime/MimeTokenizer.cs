using System.Text;

namespace MtaCluster.Mime;

/// <summary>The lexical pieces structured fields share (RFC 5322 §3.2): CFWS, atoms, quoted strings.</summary>
internal ref struct MimeTokenizer(string text)
{
    private readonly string _text = text;

    public int Position { get; set; }

    public readonly bool AtEnd => Position >= _text.Length;

    public readonly char Peek => AtEnd ? '\0' : _text[Position];

    public readonly string Text => _text;

    /// <summary>Skips whitespace and (nested) comments; returns the last comment's text, which some mailers use as a name.</summary>
    public string? SkipCfws()
    {
        string? comment = null;
        while (!AtEnd)
        {
            char c = _text[Position];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                Position++;
            }
            else if (c == '(')
            {
                comment = ReadComment();
            }
            else
            {
                break;
            }
        }

        return comment;
    }

    /// <summary>RFC 5322 §3.2.2 comment at the position (which is "("), nested; a missing close takes the rest of the text.</summary>
    private string ReadComment()
    {
        var comment = new StringBuilder();
        int depth = 0;
        while (!AtEnd)
        {
            char c = _text[Position++];
            if (c == '\\' && !AtEnd)
            {
                comment.Append(_text[Position++]);
                continue;
            }

            if (c == '(')
            {
                if (depth++ > 0)
                {
                    comment.Append(c);
                }

                continue;
            }

            if (c == ')' && --depth == 0)
            {
                break;
            }

            comment.Append(c);
        }

        return comment.ToString().Trim();
    }

    /// <summary>RFC 5322 §3.2.4 quoted-string at the position (which is '"'); unterminated runs to the end.</summary>
    public string ReadQuoted()
    {
        var value = new StringBuilder();
        Position++;
        while (!AtEnd)
        {
            char c = _text[Position++];
            if (c == '"')
            {
                break;
            }

            if (c == '\\' && !AtEnd)
            {
                c = _text[Position++];
            }

            if (c is not ('\r' or '\n'))
            {
                value.Append(c);
            }
        }

        return value.ToString();
    }

    /// <summary>Characters until whitespace, a comment or one of <paramref name="specials"/>.</summary>
    public string ReadAtom(string specials)
    {
        int start = Position;
        while (!AtEnd)
        {
            char c = _text[Position];
            if (c is ' ' or '\t' or '\r' or '\n' or '(' or '"' || specials.Contains(c))
            {
                break;
            }

            Position++;
        }

        return _text[start..Position];
    }
}
