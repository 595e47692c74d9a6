namespace MtaCluster.Storage;

/// <summary>
/// The body of a stored message, read only when asked for: reading a message's envelope never
/// touches its body, and whoever needs only the header stops reading where the header ends.
/// </summary>
public abstract class StoredBody
{
    /// <summary>Octets in the body, as stored.</summary>
    public abstract long Length { get; }

    /// <summary>
    /// A stream over the body as it is when opened; it stays whole even if the message is deleted
    /// while it is read. Dispose it promptly: it may hold the spool's read snapshot. Null when the
    /// message is gone.
    /// </summary>
    public abstract Task<Stream?> OpenReadAsync(CancellationToken cancellationToken = default);

    /// <summary>A body held in memory (a message that is not in a spool, or a test's).</summary>
    public static StoredBody FromBytes(byte[] content) => new InMemory(content);

    /// <summary>The whole body as one new array, or null when the message is gone: for tests and tools, not for delivery.</summary>
    public async Task<byte[]?> ReadAllBytesAsync(CancellationToken cancellationToken = default)
    {
        var stream = await OpenReadAsync(cancellationToken).ConfigureAwait(false);
        if (stream is null) return null;
        await using (stream.ConfigureAwait(false))
        {
            var result = new byte[Length];
            await stream.ReadExactlyAsync(result, cancellationToken).ConfigureAwait(false);
            return result;
        }
    }

    private sealed class InMemory(byte[] content) : StoredBody
    {
        public override long Length => content.Length;

        public override Task<Stream?> OpenReadAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<Stream?>(new MemoryStream(content, writable: false));
    }
}
