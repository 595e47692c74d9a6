using System.Text;

namespace MtaCluster.Actors.Sharding;

/// <summary>
/// The cluster-wide shard function. It must give the same answer in every process and on every
/// node (the spool stores a recipient's shard computed with it), so it is FNV-1a 32-bit over the
/// UTF-8 bytes of the id, never <see cref="string.GetHashCode()"/>, which is randomized per process.
/// </summary>
public static class ShardHash
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    /// <summary>The shard of <paramref name="entityId"/> among <paramref name="maxShards"/>, in [0, maxShards).</summary>
    public static int ShardOf(string entityId, int maxShards)
    {
        ArgumentNullException.ThrowIfNull(entityId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShards);
        return (int)(Fnv1a32(entityId) % (uint)maxShards);
    }

    /// <summary>FNV-1a 32-bit of the UTF-8 encoding of <paramref name="value"/> (unpaired surrogates encode as U+FFFD).</summary>
    public static uint Fnv1a32(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var hash = OffsetBasis;
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < 0x80)
            {
                hash = (hash ^ c) * Prime;
                continue;
            }

            // Non-ASCII is rare in entity ids (domains are A-labels), so the rune path can be slow.
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                consumed = 1;
            }

            var length = rune.EncodeToUtf8(utf8);
            for (var b = 0; b < length; b++)
            {
                hash = (hash ^ utf8[b]) * Prime;
            }

            i += consumed - 1;
        }

        return hash;
    }

    public static uint Fnv1a32(ReadOnlySpan<byte> utf8)
    {
        var hash = OffsetBasis;
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }
}
