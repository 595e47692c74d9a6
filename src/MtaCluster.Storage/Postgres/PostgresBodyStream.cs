using System.Data;
using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// A read-only stream over a stored body that fetches it a slice at a time with
/// <c>substring(body FROM offset FOR n)</c>: the body is stored uncompressed out of line, so a slice
/// reads only the TOAST chunks it covers, and a DSN's copy of the header never fetches a 35 MB body.
/// It holds a repeatable-read transaction (the snapshot keeps the row readable after a delete) and a
/// pooled connection until disposed: for short local reads, not for a send to a remote host.
/// </summary>
internal sealed class PostgresBodyStream : Stream
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly NpgsqlCommand _slice;
    private readonly NpgsqlParameter<int> _offset;
    private readonly NpgsqlParameter<int> _count;
    private readonly int _chunk;
    private readonly long _length;
    private long _position;
    private byte[]? _buffer;
    private long _bufferStart;
    private int _bufferLength;

    public PostgresBodyStream(NpgsqlConnection connection, NpgsqlTransaction transaction, string messageId, long length, int chunk)
    {
        _connection = connection;
        _transaction = transaction;
        _length = length;
        _chunk = chunk;
        _slice = new NpgsqlCommand(PostgresSchema.SelectBodySlice, connection, transaction);
        _slice.Parameters.Add(new NpgsqlParameter<string> { TypedValue = messageId });
        _offset = new NpgsqlParameter<int>();
        _count = new NpgsqlParameter<int>();
        _slice.Parameters.Add(_offset);
        _slice.Parameters.Add(_count);
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => _position = Math.Clamp(value, 0, _length);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var want = (int)Math.Min(buffer.Length, _length - _position);
        if (want <= 0)
            return 0;
        if (TryCopyBuffered(buffer.Span[..want]) is var copied and > 0)
            return copied;
        if (want >= _chunk)
            return Advance(await FetchAsync(buffer[..want], _position, want, cancellationToken).ConfigureAwait(false));
        // A small read (a header parser's) fills the read-ahead buffer: one round trip per chunk, not per read.
        _buffer ??= new byte[_chunk];
        _bufferStart = _position;
        _bufferLength = await FetchAsync(_buffer, _position, (int)Math.Min(_chunk, _length - _position), cancellationToken).ConfigureAwait(false);
        return TryCopyBuffered(buffer.Span[..want]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous reads are for Stream consumers that cannot await; Npgsql then blocks on the socket.
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var want = (int)Math.Min(buffer.Length, _length - _position);
        if (want <= 0)
            return 0;
        if (TryCopyBuffered(buffer[..want]) is var copied and > 0)
            return copied;
        _buffer ??= new byte[_chunk];
        _bufferStart = _position;
        _bufferLength = Fetch(_buffer, _position, (int)Math.Min(_chunk, _length - _position));
        return TryCopyBuffered(buffer[..want]);
    }

    private int TryCopyBuffered(Span<byte> destination)
    {
        if (_buffer is null || _position < _bufferStart || _position >= _bufferStart + _bufferLength)
            return 0;
        var from = (int)(_position - _bufferStart);
        var n = Math.Min(destination.Length, _bufferLength - from);
        _buffer.AsSpan(from, n).CopyTo(destination);
        return Advance(n);
    }

    private int Advance(int read)
    {
        _position += read;
        return read;
    }

    private void SetSlice(long offset, int count)
    {
        // substring counts from 1, and in int4: a value is at most 1 GB in PostgreSQL.
        _offset.TypedValue = checked((int)offset + 1);
        _count.TypedValue = count;
    }

    private async Task<int> FetchAsync(Memory<byte> destination, long offset, int count, CancellationToken cancellationToken)
    {
        SetSlice(offset, count);
        await using var reader = await _slice.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            throw new InvalidDataException("The body's row vanished from a repeatable-read snapshot.");
        await using var slice = await reader.GetStreamAsync(0, cancellationToken).ConfigureAwait(false);
        var read = 0;
        while (read < count && await slice.ReadAsync(destination[read..count], cancellationToken).ConfigureAwait(false) is var n and > 0)
            read += n;
        return read;
    }

    private int Fetch(Span<byte> destination, long offset, int count)
    {
        SetSlice(offset, count);
        using var reader = _slice.ExecuteReader(CommandBehavior.SequentialAccess);
        if (!reader.Read())
            throw new InvalidDataException("The body's row vanished from a repeatable-read snapshot.");
        using var slice = reader.GetStream(0);
        var read = 0;
        while (read < count && slice.Read(destination[read..count]) is var n and > 0)
            read += n;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _slice.Dispose();
            _transaction.Dispose();
            _connection.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _slice.DisposeAsync().ConfigureAwait(false);
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
