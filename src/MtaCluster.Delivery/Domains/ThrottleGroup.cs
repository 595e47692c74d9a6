using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Throttling;

namespace MtaCluster.Delivery.Domains;

/// <summary>Rate and connection limits with their backoff state, for one domain or one MX rollup group.</summary>
/// <param name="generation">The <see cref="DomainPolicySnapshot.Generation"/> <paramref name="policy"/> comes from.</param>
public sealed class ThrottleGroup(DomainPolicy policy, TimeProvider time, long generation = 0)
{
    private readonly object _gate = new();
    private DomainPolicy _policy = policy;
    private long _generation = generation;

    public DomainThrottle Throttle { get; } = new(policy.ThrottleLimits, time);
    public BackoffState Backoff { get; } = new(policy.Backoff, policy.ThrottleLimits, time);

    /// <summary>
    /// Takes the limits of a reloaded policy, keeping what the group has counted: open connections,
    /// rate credit and the position in a backoff. Returns true when the limits in force changed.
    /// A policy from an older generation than the one applied is ignored: in an MX rollup group a
    /// domain that has not looked at the reload yet must not put the old limits back.
    /// </summary>
    public bool Apply(DomainPolicy policy, long generation)
    {
        ArgumentNullException.ThrowIfNull(policy);
        // Called on every resolution of an MX group; only a reload hands in another policy object.
        if (ReferenceEquals(Volatile.Read(ref _policy), policy)) return false;
        lock (_gate)
        {
            if (ReferenceEquals(_policy, policy) || generation < _generation) return false;
            var before = Backoff.EffectiveLimits;
            Backoff.UpdateSettings(policy.Backoff, policy.ThrottleLimits);
            Throttle.UpdateLimits(Backoff.EffectiveLimits);
            _generation = generation;
            Volatile.Write(ref _policy, policy);
            return before != Backoff.EffectiveLimits;
        }
    }
}
