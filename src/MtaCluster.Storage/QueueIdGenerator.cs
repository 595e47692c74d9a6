using System.Security.Cryptography;

namespace MtaCluster.Storage;

/// <summary>
/// Makes <see cref="QueueId"/> values from a clock. Each id is strictly greater than the previous one
/// from the same generator, even within one millisecond or when the clock steps back: the embedded
/// time then stays at the last value used and the 72-bit sequence counts on.
/// </summary>
public sealed class QueueIdGenerator
{
    internal const int TimestampBits = 48;
    internal const int SequenceBits = 72;
    internal const int EncodedLength = (TimestampBits + SequenceBits) / 5;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static readonly UInt128 SequenceMask = (UInt128.One << SequenceBits) - 1;
    private const ulong MaxTimestamp = (1UL << TimestampBits) - 1;

    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();
    private UInt128 _last;

    public QueueIdGenerator(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    /// <summary>The next id.</summary>
    public string Next()
    {
        var now = (ulong)_timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        if (now > MaxTimestamp)
            throw new InvalidOperationException("The clock is past the 48-bit millisecond range of queue ids.");

        UInt128 value;
        lock (_gate)
        {
            var lastTime = (ulong)(_last >> SequenceBits);
            if (now > lastTime)
            {
                // The top sequence bit starts clear, so counting within a busy millisecond never
                // has to borrow from the timestamp in practice.
                value = ((UInt128)now << SequenceBits) | (RandomSequence() >> 1);
            }
            else
            {
                // Same millisecond or the clock went back: count on from the last id. An overflow of
                // the sequence carries into the timestamp, which keeps the order.
                value = _last + 1;
            }
            _last = value;
        }
        return Encode(value);
    }

    private static UInt128 RandomSequence()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return new UInt128(
            BitConverter.ToUInt64(bytes[..8]),
            BitConverter.ToUInt64(bytes[8..])) & SequenceMask;
    }

    private static string Encode(UInt128 value) =>
        string.Create(EncodedLength, value, static (chars, v) =>
        {
            for (var i = chars.Length - 1; i >= 0; i--)
            {
                chars[i] = Alphabet[(int)(uint)(v & 31)];
                v >>= 5;
            }
        });

    internal static bool TryDecode(ReadOnlySpan<char> id, out UInt128 value)
    {
        value = UInt128.Zero;
        if (id.Length != EncodedLength)
            return false;
        foreach (var c in id)
        {
            var digit = Alphabet.IndexOf(c);
            if (digit < 0)
                return false;
            value = (value << 5) | (uint)digit;
        }
        return true;
    }
}
