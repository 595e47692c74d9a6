using System.Text;

namespace MtaCluster.Mail;

/// <summary>
/// One SMTP reply (RFC 5321 §4.2): the three-digit code, the RFC 3463 enhanced status code when
/// there is one (RFC 2034), and the text of its lines. <see cref="ToString"/> is the wire form;
/// <see cref="ToLine"/> the one line a DSN Diagnostic-Code, a log or a bounce rule wants.
/// </summary>
/// <remarks>
/// The text is kept as one string with the lines joined by '\n', which is how it is read off the
/// wire, so a one-line reply costs one string; <see cref="Lines"/> splits on demand.
/// <see cref="IsLocal"/> marks a reply this MTA made up (a timeout, a refused connection, a local
/// SIZE check) rather than heard, so a DSN does not quote our words as the receiver's
/// (RFC 3464 §2.3.6) and backoff does not take them as the receiver throttling us.
/// </remarks>
public sealed class SmtpReply
{
    private string[]? _lines;

    /// <param name="text">The text of every line, joined with '\n', without codes.</param>
    public SmtpReply(int code, EnhancedStatusCode? enhancedCode, string text)
    {
        if (code is < 100 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "An SMTP reply code has three digits, 1xx to 5xx.");
        }

        ArgumentNullException.ThrowIfNull(text);
        Code = code;
        EnhancedCode = enhancedCode;
        Text = text;
    }

    public SmtpReply(int code, EnhancedStatusCode? enhancedCode, IEnumerable<string> lines)
        : this(code, enhancedCode, string.Join('\n', lines))
    {
    }

    public int Code { get; }

    /// <summary>"class.subject.detail", e.g. 5.1.1; null when there is none.</summary>
    public EnhancedStatusCode? EnhancedCode { get; }

    /// <summary>The text after the code (and enhanced code) of every line, joined with '\n'.</summary>
    public string Text { get; }

    /// <summary>The lines of a multi-line reply, e.g. the EHLO keywords.</summary>
    public IReadOnlyList<string> Lines => _lines ??= Text.Split('\n');

    /// <summary>Made up by this MTA, not received from the peer.</summary>
    public bool IsLocal { get; init; }

    /// <summary>2xx or 3xx.</summary>
    public bool IsPositive => Code < 400;

    /// <summary>2xx: the command was carried out.</summary>
    public bool IsPositiveCompletion => Code is >= 200 and < 300;

    /// <summary>3xx, e.g. 354 after DATA.</summary>
    public bool IsPositiveIntermediate => Code is >= 300 and < 400;

    /// <summary>4xx: transient, try again later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>5xx: permanent, do not try again.</summary>
    public bool IsPermanent => Code >= 500;

    /// <summary>A reply of our own (<see cref="IsLocal"/>).</summary>
    public static SmtpReply Local(int code, EnhancedStatusCode enhancedCode, string text) => new(code, enhancedCode, text) { IsLocal = true };

    /// <summary>
    /// The reply as one line, <c>code enhanced text</c>: what DSNs, logs and bounce rules see, so
    /// a pattern can anchor on the code (<c>^421</c>) or the enhanced code (<c>4\.7\.0</c>).
    /// </summary>
    public string ToLine()
    {
        string text = Text.Contains('\n') ? Text.Replace('\n', ' ') : Text;
        return EnhancedCode is { } enhanced ? $"{Code} {enhanced} {text}" : $"{Code} {text}";
    }

    /// <summary>
    /// The wire form (RFC 5321 §4.2.1): every line "code-text", the last "code text", CRLF after
    /// each; with an enhanced code it starts the text of every line (RFC 2034 §3).
    /// </summary>
    public override string ToString()
    {
        var wire = new StringBuilder(Text.Length + 16);
        IReadOnlyList<string> lines = Lines;
        for (int i = 0; i < lines.Count; i++)
        {
            bool last = i == lines.Count - 1;
            wire.Append(Code);
            if (EnhancedCode is null && lines[i].Length == 0)
            {
                // RFC 5321 §4.2: the text is optional, and so is the space before it on the last line.
                wire.Append(last ? "\r\n" : "-\r\n");
                continue;
            }

            wire.Append(last ? ' ' : '-');
            if (EnhancedCode is { } enhanced)
            {
                wire.Append(enhanced.ToString());
                if (lines[i].Length > 0)
                {
                    wire.Append(' ');
                }
            }

            wire.Append(lines[i]).Append("\r\n");
        }

        return wire.ToString();
    }
}
