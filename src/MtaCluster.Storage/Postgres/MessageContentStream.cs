using System.Buffers;
using MtaCluster.Mail;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// A read-only stream over a <see cref="MessageContent"/>'s pieces where they lie, so Npgsql writes a
/// body of many segments to the socket without a second whole copy of it in memory.
/// </summary>
internal sealed class MessageContentStream(MessageContent content) : Stream
{
    private readonly ReadOnlyMemory<byte> _prefix = content.Prefix;
    private readonly ReadOnlySequence<byte> _body = content.Body;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _prefix.Length + _body.Length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, Length);
    }

    public override int Read(Span<byte> buffer)
    {
        var total = 0;
        if (_position < _prefix.Length)
        {
            var fromPrefix = _prefix.Span[(int)_position..];
            var n = Math.Min(fromPrefix.Length, buffer.Length);
            fromPrefix[..n].CopyTo(buffer);
            total = n;
            _position += n;
            buffer = buffer[n..];
        }
        if (buffer.Length > 0 && _position < Length)
        {
            var rest = _body.Slice(_position - _prefix.Length);
            var n = (int)Math.Min(rest.Length, buffer.Length);
            rest.Slice(0, n).CopyTo(buffer);
            total += n;
            _position += n;
        }
        return total;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
