using MtaCluster.Delivery.Classification;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// One loaded <c>domains.yaml</c> as delivery uses it: the resolver, the bounce classifier built from
/// the same file, and a generation that grows with every reload, so a domain entity can tell with one
/// comparison whether the policy it cached is still the one in force.
/// </summary>
public sealed record DomainPolicySnapshot(long Generation, DomainPolicyResolver Resolver, BounceClassifier Classifier)
{
    public DomainPolicyConfiguration Configuration => Resolver.Configuration;

    public static DomainPolicySnapshot From(DomainPolicyConfiguration configuration, long generation = 1) =>
        new(generation, new DomainPolicyResolver(configuration), new BounceClassifier(configuration.BounceRules));
}
