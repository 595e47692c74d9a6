namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>
/// One SMTP reply (RFC 5321 §4.2): the three-digit code, the RFC 3463 enhanced status code when the
/// server announced ENHANCEDSTATUSCODES (RFC 2034), and the text of all lines joined with '\n'.
/// Replies made up by this client (a local SIZE refusal, a timeout, a refused connection) carry
/// <see cref="IsLocal"/> so a DSN can tell the remote server's words from ours.
/// </summary>
public sealed class SmtpReply
{
    public SmtpReply(int code, string? enhancedCode, string text, bool isLocal = false)
    {
        if (code is < 100 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "An SMTP reply code has three digits, 1xx to 5xx.");
        }

        Code = code;
        EnhancedCode = enhancedCode;
        Text = text;
        IsLocal = isLocal;
    }

    public int Code { get; }

    /// <summary>"class.subject.detail", e.g. "5.1.1"; null when the server sent none.</summary>
    public string? EnhancedCode { get; }

    /// <summary>The text after the code (and enhanced code) of every line, joined with '\n'.</summary>
    public string Text { get; }

    public bool IsLocal { get; }

    /// <summary>2xx or 3xx.</summary>
    public bool IsPositive => Code < 400;

    /// <summary>2xx: the command was carried out.</summary>
    public bool IsPositiveCompletion => Code is >= 200 and < 300;

    /// <summary>3xx, e.g. 354 after DATA.</summary>
    public bool IsPositiveIntermediate => Code is >= 300 and < 400;

    /// <summary>4xx: try again later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>5xx: do not try again.</summary>
    public bool IsPermanent => Code >= 500;

    /// <summary>The lines of a multi-line reply, e.g. the EHLO keywords.</summary>
    public string[] GetLines() => Text.Split('\n');

    /// <summary>One line, as a DSN Diagnostic-Code wants it: "550 5.1.1 No such user".</summary>
    public override string ToString()
    {
        string text = Text.Contains('\n') ? Text.Replace('\n', ' ') : Text;
        return EnhancedCode is null ? $"{Code} {text}" : $"{Code} {EnhancedCode} {text}";
    }

    internal static SmtpReply Local(int code, string enhancedCode, string text) => new(code, enhancedCode, text, isLocal: true);
}
