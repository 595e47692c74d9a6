using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Policies;
using MtaCluster.Delivery.Retries;

namespace MtaCluster.Delivery.Domains;

// The policy the domain works under: resolving it, its throttle group, and following a reload of domains.yaml.
public sealed partial class DomainEntity
{
    private void ApplyPolicy(DomainPolicyMatch match)
    {
        var previous = _match;
        _match = match;
        // A domain keeps its own group across a reload, so its open connections and rate credit stay
        // counted; only a move into, out of or between MX rollup groups changes groups.
        if (_group is null || match.Kind == PolicyMatchKind.MxPattern || previous.Kind == PolicyMatchKind.MxPattern) _group = _context.ThrottleGroupFor(match, _policies.Generation);
        else _group.Apply(match.Policy, _policies.Generation);
        _throttle = _group.Throttle;
        _backoff = _group.Backoff;
        _retries = new RetrySchedule(match.Policy.Retry);
        // Per-tenant limits at this domain come from the policy: queued work moves to a scheduler built under it.
        RebuildSends();
    }

    /// <summary>
    /// After a reload of node.yaml's Tenants (SIGHUP): the queued work moves to a scheduler whose
    /// tenants have their reloaded weights and hourly limits, before the next decision.
    /// </summary>
    private void FollowReloadedTenants()
    {
        var current = _context.TenantHolder.Current;
        if (ReferenceEquals(current, _tenants)) return;
        _tenants = current;
        RebuildSends();
    }

    /// <summary>
    /// After a reload of domains.yaml (SIGHUP), resolves this domain again and puts the result in force
    /// before the next decision: limits at once, and everything an open connection has fixed (route,
    /// TLS, egress pool, per-connection limits) from the next connection on. A reference comparison
    /// when nothing was reloaded.
    /// </summary>
    private void FollowReloadedPolicy()
    {
        FollowReloadedTenants();
        var current = _context.PolicyHolder.Current;
        if (ReferenceEquals(current, _policies)) return;
        _policies = current;
        var before = _match;
        var match = current.Resolver.Resolve(_domain);
        if (match.Kind != PolicyMatchKind.Exact && match.Policy.Route is null && _route is { IsSuccess: true } route)
        {
            match = current.Resolver.ResolveWithMx(_domain, route.Hosts.Select(h => h.HostName));
        }
        ApplyPolicy(match);
        if (before.ThrottleKey == match.ThrottleKey && DomainPolicyComparer.SameSettings(before.Policy, match.Policy)) return;
        var differences = DomainPolicyComparer.Differences(before.Policy, match.Policy);
        _logger.LogInformation("{Domain}: reloaded policy {Policy} in force: {Changes}", _domain, match.Policy.Key,
            differences.Count > 0 ? string.Join(", ", differences) : $"throttle group {before.ThrottleKey} -> {match.ThrottleKey}");
        if (before.ThrottleKey == match.ThrottleKey && DomainPolicyComparer.DiffersOnlyInThrottle(before.Policy, match.Policy))
        {
            OnLimitsChanged();
            return;
        }
        // Open connections finish the transaction under way and close; what they had not taken yet
        // goes to connections opened under the new policy, after the route is resolved again.
        _route = null;
        ReturnReadyToBacklog();
        _ready.Writer.TryComplete();
        _ready = NewReadyChannel();
        RetireWorkers(keep: 0);
    }
}
