namespace MtaCluster.Delivery.Policies;

/// <summary>How a connection's source address is chosen from an <see cref="EgressPool"/>.</summary>
public enum EgressPoolSelection
{
    /// <summary>Each connection takes the next address, spreading volume evenly.</summary>
    RoundRobin,

    /// <summary>
    /// A stable hash of a key (usually the destination domain) picks the address, so a receiver always sees
    /// the same IP, which is what its reputation tracking expects.
    /// </summary>
    Hash,
}
