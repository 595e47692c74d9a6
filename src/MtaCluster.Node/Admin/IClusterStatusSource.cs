namespace MtaCluster.Node.Admin;

/// <summary>The cluster as the store knows it, for the admin API of a clustered node: any node answers for all.</summary>
public interface IClusterStatusSource
{
    Task<IReadOnlyList<ClusterNodeView>> GetMembersAsync(CancellationToken cancellationToken);

    /// <summary>The coordinator lease as it stands (the leader), from <c>cluster_coordinator</c>.</summary>
    Task<LeaderView> GetLeaderAsync(CancellationToken cancellationToken);

    /// <summary>Every live shard lease: shard to owner (a shard whose lease lapsed or was released is absent).</summary>
    Task<IReadOnlyDictionary<int, string>> GetLeaseOwnersAsync(CancellationToken cancellationToken);

    /// <summary>Asks <paramref name="node"/> to leave: it reads the request in its next heartbeat and stops as on SIGTERM.</summary>
    Task<MemberRequestOutcome> RequestLeaveAsync(string node, CancellationToken cancellationToken);

    /// <summary>
    /// Marks a silent <paramref name="node"/> down now and lapses its leases, as the coordinator does once
    /// the failure timeout has passed, so its shards are reallocated; refused while it still heartbeats.
    /// </summary>
    Task<MemberRequestOutcome> DownAsync(string node, CancellationToken cancellationToken);
}

public enum MemberRequestResult
{
    Done,
    NotFound,
    Refused,
}

/// <param name="State">The member's state as the store has it after the request.</param>
/// <param name="Shards">Leases it held (for down: the ones lapsed now).</param>
/// <param name="Message">Why it was refused, in words.</param>
public sealed record MemberRequestOutcome(MemberRequestResult Result, string? State, int Shards, string? Message = null);
