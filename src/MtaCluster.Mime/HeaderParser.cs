using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace MtaCluster.Mime;

/// <summary>
/// Reads header fields over a <see cref="SequenceReader{T}"/> and stops at the blank line that ends the header (RFC 5322
/// §2.1), so a body is never read. Tolerated: folding with obs-FWS (§4.2), no space after the colon, whitespace before
/// it (§4.5), LF-only line ends, 8-bit octets (kept as they are). A line that is not a field ends the header unread.
/// </summary>
public sealed class HeaderParser
{
    /// <summary>Postfix's header_size_limit default: 102400 octets.</summary>
    public const int DefaultMaxHeaderBytes = 102_400;

    private readonly int _maxHeaderBytes;
    private long _consumed;

    public HeaderParser(int maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHeaderBytes);
        _maxHeaderBytes = maxHeaderBytes;
    }

    public HeaderList Headers { get; } = new();

    /// <summary>Octets of the header taken so far, the blank line included once <see cref="IsComplete"/>.</summary>
    public long BytesConsumed => _consumed;

    public bool IsComplete { get; private set; }

    /// <summary>
    /// Takes every whole field in <paramref name="reader"/>; false means "need more data" unless
    /// <paramref name="isFinal"/>, when what is there is all there is. The reader is left after what was taken.
    /// </summary>
    /// <exception cref="MimeFormatException">The header is longer than the cap.</exception>
    public bool TryParse(ref SequenceReader<byte> reader, bool isFinal)
    {
        while (!IsComplete)
        {
            if (!reader.TryPeek(out byte first))
            {
                IsComplete = isFinal;
                return isFinal;
            }

            if (first == (byte)'\n' || first == (byte)'\r')
            {
                if (first == (byte)'\r' && !reader.TryPeek(1, out _) && !isFinal)
                {
                    return false;
                }

                int length = first == (byte)'\r' && reader.TryPeek(1, out byte lf) && lf == (byte)'\n' ? 2 : 1;
                reader.Advance(length);
                _consumed += length;
                IsComplete = true;
                return true;
            }

            SequencePosition start = reader.Position;
            long startConsumed = reader.Consumed;
            if (!TryFindFieldEnd(ref reader, isFinal))
            {
                reader.Rewind(reader.Consumed - startConsumed);
                CheckCap(reader.Remaining);
                return false;
            }

            ReadOnlySequence<byte> field = reader.Sequence.Slice(start, reader.Position);
            CheckCap(field.Length);
            if (!TryMakeHeader(field, out Header? header))
            {
                reader.Rewind(field.Length);
                IsComplete = true;
                return true;
            }

            Headers.Add(header);
            _consumed += field.Length;
        }

        return true;
    }

    /// <summary>Parses the header at the start of <paramref name="input"/>.</summary>
    public static HeaderList Parse(ReadOnlySequence<byte> input, int maxHeaderBytes, out long bytesConsumed)
    {
        var parser = new HeaderParser(maxHeaderBytes);
        var reader = new SequenceReader<byte>(input);
        parser.TryParse(ref reader, isFinal: true);
        bytesConsumed = parser.BytesConsumed;
        return parser.Headers;
    }

    /// <summary>
    /// Reads the header from <paramref name="reader"/> and advances it to the first body octet: the body stays in the
    /// pipe for the caller.
    /// </summary>
    public static async ValueTask<HeaderList> LoadAsync(PipeReader reader, int maxHeaderBytes = DefaultMaxHeaderBytes,
        CancellationToken cancellationToken = default)
    {
        var parser = new HeaderParser(maxHeaderBytes);
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = buffer.Start;
            bool done;
            try
            {
                var sequenceReader = new SequenceReader<byte>(buffer);
                done = parser.TryParse(ref sequenceReader, result.IsCompleted);
                consumed = sequenceReader.Position;
            }
            finally
            {
                reader.AdvanceTo(consumed, buffer.End);
            }

            if (done)
            {
                return parser.Headers;
            }
        }
    }

    /// <summary>
    /// Reads the header from <paramref name="stream"/>. A seekable stream is left at the first body octet; any other
    /// stream has been read at most one buffer past the header.
    /// </summary>
    public static async Task<HeaderList> LoadAsync(Stream stream, int maxHeaderBytes = DefaultMaxHeaderBytes,
        CancellationToken cancellationToken = default)
    {
        long origin = stream.CanSeek ? stream.Position : 0;
        var parser = new HeaderParser(maxHeaderBytes);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(cancellationToken);
                var sequenceReader = new SequenceReader<byte>(result.Buffer);
                bool done = parser.TryParse(ref sequenceReader, result.IsCompleted);
                reader.AdvanceTo(sequenceReader.Position, result.Buffer.End);
                if (done)
                {
                    break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }

        if (stream.CanSeek)
        {
            stream.Position = origin + parser.BytesConsumed;
        }

        return parser.Headers;
    }

    private void CheckCap(long pending)
    {
        if (_consumed + pending > _maxHeaderBytes)
        {
            throw new MimeFormatException($"The header is longer than {_maxHeaderBytes} octets.");
        }
    }

    /// <summary>Moves past one field: its first line and every continuation line (one starting with SP or HTAB).</summary>
    private static bool TryFindFieldEnd(ref SequenceReader<byte> reader, bool isFinal)
    {
        while (true)
        {
            if (!reader.TryAdvanceTo((byte)'\n', advancePastDelimiter: true))
            {
                if (!isFinal)
                {
                    return false;
                }

                reader.AdvanceToEnd();
                return true;
            }

            if (!reader.TryPeek(out byte next))
            {
                return isFinal;
            }

            if (next is not ((byte)' ' or (byte)'\t'))
            {
                return true;
            }
        }
    }

    private static bool TryMakeHeader(ReadOnlySequence<byte> field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Header? header)
    {
        header = null;
        byte[] raw = field.ToArray();
        int colon = raw.AsSpan().IndexOfAny((byte)':', (byte)'\n');
        if (colon <= 0 || raw[colon] != (byte)':')
        {
            return false;
        }

        int nameEnd = colon;
        while (nameEnd > 0 && raw[nameEnd - 1] is (byte)' ' or (byte)'\t')
        {
            nameEnd--;
        }

        if (nameEnd == 0)
        {
            return false;
        }

        foreach (byte b in raw.AsSpan(0, nameEnd))
        {
            if (b is < 33 or > 126)
            {
                return false;
            }
        }

        header = new Header(Encoding.ASCII.GetString(raw, 0, nameEnd), raw, colon + 1);
        return true;
    }
}
