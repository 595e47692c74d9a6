namespace MtaCluster.Node.Admin;

// The control plane's documents (config reload, cluster leader/leave/down, sharding, spool backup); keys are snake_case.

/// <param name="Node">The coordinator's name; null when no node holds the lease (between coordinators).</param>
/// <param name="Held">The lease has not lapsed by the database's clock.</param>
public sealed record LeaderView(string? Node, string? AdminAddress, long Epoch, DateTimeOffset? ExpiresAt, bool Held);

public sealed record ConfigErrorView(string File, string? Key, int? Line, string Message);

/// <param name="Reloaded">The files put in force.</param>
/// <param name="Errors">Why a file was refused; its configuration in force stays.</param>
/// <param name="RestartNeeded">node.yaml keys changed that only a restart applies.</param>
public sealed record ConfigReloadView(IReadOnlyList<string> Reloaded, IReadOnlyList<ConfigErrorView> Errors, IReadOnlyList<string> RestartNeeded);

public sealed record MemberActionRequest(string? Node);

/// <param name="Action">leave or down.</param>
/// <param name="State">The member's state in the store after the request.</param>
public sealed record MemberActionView(string Node, string Action, string? State, int Shards, string Message);

/// <param name="Type">domain or message.</param>
/// <param name="ShardsWithEntities">Shards of the region with at least one running entity on this node.</param>
public sealed record RegionView(string Type, int Entities, int ShardsWithEntities);

public sealed record RegionsView(string Node, int MaxShards, int ShardsOwned, IReadOnlyList<RegionView> Regions);

public sealed record ShardEntitiesView(int Shard, int Entities);

/// <param name="Shards">The shards of the region with running entities on this node.</param>
/// <param name="Members">Every member's shards by lease (in a cluster); on a single node, itself with every shard.</param>
public sealed record RegionStatsView(string Type, string Node, int Entities, IReadOnlyList<ShardEntitiesView> Shards, IReadOnlyList<MemberShardsView> Members);

public sealed record MemberShardsView(string Node, IReadOnlyList<int> Shards);

/// <param name="Owner">The node holding the shard's lease; null when none holds it now (moving).</param>
/// <param name="EntityIds">The shard's running entities when this node owns it.</param>
public sealed record ShardStatsView(int Shard, string? Owner, int Entities, IReadOnlyList<string> EntityIds);

public sealed record ShardStatsListView(string Type, string Node, IReadOnlyList<ShardStatsView> Shards);

/// <param name="Kind">message (found in the spool by its id) or domain.</param>
/// <param name="Region">The region whose entity it is: message or domain.</param>
public sealed record ShardOwnerView(string Key, string Kind, string Region, int Shard, string? Owner, string? OwnerAdminAddress, string AnsweredBy);

public sealed record SpoolBackupRequest(string? File);

public sealed record SpoolBackupView(string Spool, string File, long Messages, long PendingRecipients, long Bytes, int SchemaVersion, bool Verified, double ElapsedSeconds);
