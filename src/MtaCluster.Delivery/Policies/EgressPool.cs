using System.Net;
using System.Text;

namespace MtaCluster.Delivery.Policies;

/// <summary>A named set of local source addresses for outbound connections (PowerMTA's virtual MTA pool).</summary>
public sealed class EgressPool
{
    public const string DefaultName = "default";

    private int _next = -1;

    public EgressPool(string name, IReadOnlyList<IPAddress> addresses, EgressPoolSelection selection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(addresses);
        Name = name;
        Addresses = addresses.ToArray();
        Selection = selection;
    }

    public string Name { get; }

    /// <summary>The source addresses; empty means the operating system chooses.</summary>
    public IReadOnlyList<IPAddress> Addresses { get; }

    public EgressPoolSelection Selection { get; }

    /// <summary>
    /// The source address for the next connection, or null to let the operating system choose.
    /// <paramref name="key"/> feeds <see cref="EgressPoolSelection.Hash"/>; round robin ignores it.
    /// Thread-safe, as one pool serves every domain that names it.
    /// </summary>
    public IPAddress? Select(string? key = null)
    {
        var count = Addresses.Count;
        if (count == 0)
        {
            return null;
        }

        if (count == 1)
        {
            return Addresses[0];
        }

        if (Selection == EgressPoolSelection.Hash && key is not null)
        {
            return Addresses[(int)(StableHash(key) % (uint)count)];
        }

        var index = (uint)Interlocked.Increment(ref _next) % (uint)count;
        return Addresses[(int)index];
    }

    /// <summary>FNV-1a over the lower-cased key: string.GetHashCode is randomised per process, and every node must agree.</summary>
    internal static uint StableHash(string key)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(key.ToLowerInvariant()))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
