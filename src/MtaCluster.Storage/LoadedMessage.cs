using System.Buffers;

namespace MtaCluster.Storage;

/// <summary>
/// A message loaded for sending: its envelope and its whole body in one pooled buffer, copied out
/// of the spool in a read that is over before the caller gets it (so a slow receiver cannot keep
/// the spool's write-ahead log from being checkpointed). Dispose once the transaction is over: the
/// buffer goes back to the pool and <see cref="Content"/> must not be used after.
/// </summary>
public sealed class LoadedMessage : IDisposable
{
    private byte[]? _buffer;

    internal LoadedMessage(StoredMessage message, byte[] buffer, int length)
    {
        Message = message;
        _buffer = buffer;
        Content = buffer.AsMemory(0, length);
    }

    public StoredMessage Message { get; }

    public ReadOnlyMemory<byte> Content { get; private set; }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is null) return;
        Content = default;
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
