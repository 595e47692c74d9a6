using System.Buffers;
using System.IO.Pipelines;

namespace MtaCluster.Mime;

/// <summary>Copies message octets as they stream, turning a bare LF into CRLF so the output is valid on the wire (RFC 5322 §2.1).</summary>
internal static class MessageCopier
{
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();

    public static async Task CopyAsync(PipeReader input, Stream output, bool lastWasCr, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                lastWasCr = await WriteAsync(segment, output, lastWasCr, cancellationToken);
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    public static async Task<bool> WriteAsync(ReadOnlyMemory<byte> bytes, Stream output, bool lastWasCr, CancellationToken cancellationToken)
    {
        int start = 0;
        while (true)
        {
            int lf = bytes.Span[start..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                break;
            }

            lf += start;
            bool hasCr = lf > 0 ? bytes.Span[lf - 1] == (byte)'\r' : lastWasCr;
            if (!hasCr)
            {
                await output.WriteAsync(bytes[start..lf], cancellationToken);
                await output.WriteAsync(Crlf, cancellationToken);
                start = lf + 1;
                lastWasCr = false;
                continue;
            }

            await output.WriteAsync(bytes[start..(lf + 1)], cancellationToken);
            start = lf + 1;
            lastWasCr = false;
        }

        await output.WriteAsync(bytes[start..], cancellationToken);
        return bytes.Length > 0 ? bytes.Span[^1] == (byte)'\r' : lastWasCr;
    }
}
