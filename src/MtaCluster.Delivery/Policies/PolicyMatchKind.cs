namespace MtaCluster.Delivery.Policies;

/// <summary>Which kind of configuration entry a domain's policy came from, highest precedence first.</summary>
public enum PolicyMatchKind
{
    Exact,
    Wildcard,
    MxPattern,
    Default,
}
