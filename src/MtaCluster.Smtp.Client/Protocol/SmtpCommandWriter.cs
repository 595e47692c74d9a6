using System.Buffers;
using System.Buffers.Text;
using System.Text;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Protocol;

/// <summary>
/// Writes SMTP commands straight into the connection's output buffer: no command strings are built,
/// so a pipelined MAIL, RCPT… DATA group (RFC 2920) costs one buffer and one flush.
/// </summary>
internal static class SmtpCommandWriter
{
    public static void WriteEhlo(IBufferWriter<byte> writer, string heloName, bool extended)
    {
        writer.Write(extended ? "EHLO "u8 : "HELO "u8);
        WriteUtf8(writer, heloName);
        writer.Write("\r\n"u8);
    }

    /// <summary>RFC 5321 §4.1.1.2, with the parameters of RFC 1870, 3461, 6152 and 6531.</summary>
    public static void WriteMailFrom(IBufferWriter<byte> writer, MessageTransaction tx, SmtpExtensions offered, bool smtpUtf8)
    {
        writer.Write("MAIL FROM:<"u8);
        WriteUtf8(writer, tx.ReversePath);
        writer.Write(">"u8);

        if ((offered & SmtpExtensions.EightBitMime) != 0)
        {
            // RFC 6152 §2: no BODY parameter declares 7BIT; BINARYMIME never gets this far (DATA cannot carry it).
            if (tx.BodyType == MessageBodyType.EightBitMime)
            {
                writer.Write(" BODY=8BITMIME"u8);
            }
        }

        if ((offered & SmtpExtensions.Size) != 0)
        {
            writer.Write(" SIZE="u8);
            WriteNumber(writer, tx.Content.Length);
        }

        if (smtpUtf8)
        {
            writer.Write(" SMTPUTF8"u8);
        }

        if ((offered & SmtpExtensions.Dsn) != 0)
        {
            if (tx.Return == DsnReturn.Full)
            {
                writer.Write(" RET=FULL"u8);
            }
            else if (tx.Return == DsnReturn.Headers)
            {
                writer.Write(" RET=HDRS"u8);
            }

            if (tx.EnvelopeId is not null)
            {
                writer.Write(" ENVID="u8);
                XText.Encode(writer, tx.EnvelopeId);
            }
        }

        writer.Write("\r\n"u8);
    }

    /// <summary>RFC 5321 §4.1.1.3, with NOTIFY and ORCPT of RFC 3461 §4.1-4.2.</summary>
    public static void WriteRcptTo(IBufferWriter<byte> writer, TransactionRecipient recipient, bool dsn)
    {
        writer.Write("RCPT TO:<"u8);
        WriteUtf8(writer, recipient.Address);
        writer.Write(">"u8);

        if (dsn)
        {
            DsnNotify notify = recipient.Notify;
            if ((notify & DsnNotify.Never) != 0)
            {
                writer.Write(" NOTIFY=NEVER"u8);
            }
            else if (notify != DsnNotify.NotGiven)
            {
                writer.Write(" NOTIFY="u8);
                bool comma = false;
                if ((notify & DsnNotify.Success) != 0)
                {
                    writer.Write("SUCCESS"u8);
                    comma = true;
                }

                if ((notify & DsnNotify.Failure) != 0)
                {
                    writer.Write(comma ? ",FAILURE"u8 : "FAILURE"u8);
                    comma = true;
                }

                if ((notify & DsnNotify.Delay) != 0)
                {
                    writer.Write(comma ? ",DELAY"u8 : "DELAY"u8);
                }
            }

            if (recipient.OriginalRecipient is { } orcpt)
            {
                writer.Write(" ORCPT="u8);
                bool ascii = Ascii.IsValid(orcpt);
                if (!ascii || recipient.OriginalRecipientType.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
                {
                    writer.Write("utf-8;"u8);
                    XText.EncodeUtf8Address(writer, orcpt);
                }
                else
                {
                    WriteUtf8(writer, recipient.OriginalRecipientType);
                    writer.Write(";"u8);
                    XText.Encode(writer, orcpt);
                }
            }
        }

        writer.Write("\r\n"u8);
    }

    public static void WriteData(IBufferWriter<byte> writer) => writer.Write("DATA\r\n"u8);

    public static void WriteRset(IBufferWriter<byte> writer) => writer.Write("RSET\r\n"u8);

    public static void WriteQuit(IBufferWriter<byte> writer) => writer.Write("QUIT\r\n"u8);

    public static void WriteStartTls(IBufferWriter<byte> writer) => writer.Write("STARTTLS\r\n"u8);

    /// <summary>True when the text can go on a command line: no control characters to split or end it (RFC 5321 §4.1.2).</summary>
    public static bool IsSafeOnCommandLine(string text) =>
        !text.AsSpan().ContainsAnyInRange('\0', '\u001f') && !text.Contains('\u007f');

    private static void WriteUtf8(IBufferWriter<byte> writer, string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        Span<byte> span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        int written = Encoding.UTF8.GetBytes(text, span);
        writer.Advance(written);
    }

    private static void WriteNumber(IBufferWriter<byte> writer, long value)
    {
        Span<byte> span = writer.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int written);
        writer.Advance(written);
    }
}
