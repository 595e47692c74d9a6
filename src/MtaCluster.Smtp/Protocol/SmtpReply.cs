using System.Buffers;
using System.Text;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// One SMTP reply: a three-digit code, an RFC 3463 enhanced status code and text (one or more lines).
/// The wire form is encoded once, so the fixed replies in <see cref="SmtpReplies"/> cost a copy to send.
/// </summary>
public sealed class SmtpReply
{
    private readonly byte[] _encoded;

    public SmtpReply(int code, string? enhancedStatus, params string[] lines)
    {
        if (code is < 200 or > 599) throw new ArgumentOutOfRangeException(nameof(code));
        if (lines.Length == 0) lines = [""];
        Code = code;
        EnhancedStatus = enhancedStatus;
        Lines = lines;
        _encoded = Encode(code, enhancedStatus, lines);
    }

    public int Code { get; }

    /// <summary>Null only where the grammar forbids one: the 220 greeting, EHLO keyword lines, 334 and 354.</summary>
    public string? EnhancedStatus { get; }

    public IReadOnlyList<string> Lines { get; }

    public bool IsPositive => Code < 400;

    public ReadOnlySpan<byte> Encoded => _encoded;

    public void WriteTo(IBufferWriter<byte> output) => output.Write(_encoded);

    public override string ToString() => Encoding.UTF8.GetString(_encoded).TrimEnd();

    private static byte[] Encode(int code, string? enhancedStatus, string[] lines)
    {
        var text = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            text.Append(code).Append(i == lines.Length - 1 ? ' ' : '-');
            if (enhancedStatus is not null) text.Append(enhancedStatus).Append(' ');
            text.Append(lines[i]).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
