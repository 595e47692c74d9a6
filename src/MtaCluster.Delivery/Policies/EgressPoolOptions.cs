namespace MtaCluster.Delivery.Policies;

/// <summary>
/// A pool as written: either a plain list of addresses (round robin) or a mapping with
/// <c>addresses</c> and <c>selection</c>.
/// </summary>
public sealed class EgressPoolOptions
{
    public List<string>? Addresses { get; set; }

    /// <summary><c>round-robin</c> or <c>hash</c>.</summary>
    public string? Selection { get; set; }
}
