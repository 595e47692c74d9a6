using System.Buffers;
using System.Text;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// A reply the server sends, as the shared <see cref="SmtpReply"/> value plus its wire form encoded once.
/// </summary>
/// <remarks>
/// It exists because the server answers every pipelined command of a batch by copying bytes into the
/// output pipe and flushing once: the fixed replies in <see cref="SmtpReplies"/> are encoded at start-up,
/// so answering a command costs a copy, not a string builder and an encoder pass. The meaning (code,
/// enhanced code, text) is the <see cref="Reply"/>; this type adds nothing but the bytes.
/// The last line always has the space after the code, even with no text: RFC 4954 §8 writes an empty
/// AUTH challenge as <c>"334" SP [base64] CRLF</c>, and clients split the text off at that space.
/// </remarks>
public sealed class EncodedReply
{
    private readonly byte[] _encoded;

    public EncodedReply(SmtpReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        Reply = reply;
        _encoded = Encode(reply);
    }

    /// <param name="text">One line, or several joined with '\n'.</param>
    public EncodedReply(int code, EnhancedStatusCode? enhancedCode, string text)
        : this(new SmtpReply(code, enhancedCode, text))
    {
    }

    public SmtpReply Reply { get; }

    public int Code => Reply.Code;

    /// <summary>Null only where the grammar forbids one: the 220 greeting, EHLO keyword lines, 334 and 354.</summary>
    public EnhancedStatusCode? EnhancedCode => Reply.EnhancedCode;

    public bool IsPositive => Reply.IsPositive;

    public ReadOnlySpan<byte> Encoded => _encoded;

    public void WriteTo(IBufferWriter<byte> output) => output.Write(_encoded);

    /// <summary>
    /// Writes this one-line reply with <paramref name="suffix"/> appended to its text: the reply that
    /// names a per-message value (the queue id after the final dot) is then a copy and an encode, not a
    /// reply object per message.
    /// </summary>
    public void WriteTo(IBufferWriter<byte> output, string suffix)
    {
        if (Reply.Lines.Count != 1) throw new InvalidOperationException("Only a one-line reply takes a suffix.");
        output.Write(_encoded.AsSpan(0, _encoded.Length - 2));
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(suffix.Length) + 2);
        int length = Encoding.UTF8.GetBytes(suffix, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        output.Advance(length + 2);
    }

    /// <summary>The reply as one line, for logs and exception messages.</summary>
    public override string ToString() => Reply.ToLine();

    private static byte[] Encode(SmtpReply reply)
    {
        var text = new StringBuilder(reply.Text.Length + 16);
        IReadOnlyList<string> lines = reply.Lines;
        string? enhanced = reply.EnhancedCode?.ToString();
        for (int i = 0; i < lines.Count; i++)
        {
            text.Append(reply.Code).Append(i == lines.Count - 1 ? ' ' : '-');
            if (enhanced is not null)
            {
                text.Append(enhanced);
                if (lines[i].Length > 0) text.Append(' ');
            }
            text.Append(lines[i]).Append("\r\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
