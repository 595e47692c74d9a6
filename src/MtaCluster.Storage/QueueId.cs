namespace MtaCluster.Storage;

/// <summary>
/// Sortable unique message ids: 48 bits of Unix milliseconds followed by 72 bits that start random
/// on every new millisecond and count up within it, written as 24 Crockford base32 characters.
/// Ordinal string order is creation order within a process (the alphabet is in ASCII order);
/// across nodes the 72 random bits make a collision negligible. Safe to use from any thread.
/// </summary>
/// <remarks>
/// The SMTP server names a message with <see cref="New"/> before it is spooled, so the id can go in
/// the <c>Received:</c> header and in the <c>250 ... queued as</c> reply.
/// </remarks>
public static class QueueId
{
    /// <summary>Characters in every id.</summary>
    public const int Length = QueueIdGenerator.EncodedLength;

    /// <summary>The process-wide generator behind <see cref="New"/>.</summary>
    public static QueueIdGenerator Shared { get; } = new(TimeProvider.System);

    /// <summary>A new id, greater than every id this process made before.</summary>
    public static string New() => Shared.Next();

    /// <summary>True when <paramref name="id"/> has the shape of a queue id (length and upper-case Crockford alphabet).</summary>
    public static bool IsValid(ReadOnlySpan<char> id) => QueueIdGenerator.TryDecode(id, out _);

    /// <summary>The millisecond embedded in an id, when it is one.</summary>
    public static bool TryGetTimestamp(ReadOnlySpan<char> id, out DateTimeOffset timestamp)
    {
        if (QueueIdGenerator.TryDecode(id, out var value))
        {
            timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)(ulong)(value >> QueueIdGenerator.SequenceBits));
            return true;
        }
        timestamp = default;
        return false;
    }
}
