using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Node.Admin;

// The admin API's documents. Times are UTC (ISO 8601); ages are whole seconds; keys are snake_case (AdminJson).

/// <param name="Address">Where the node's admin endpoint listens, for this node; the node's advertised listeners for the others.</param>
/// <param name="Entities">Running domain and message entities (another node's as its last heartbeat published them); null when not known.</param>
/// <param name="AdminAddress">Where the node's admin endpoint listens (published in its heartbeat), so pbm can reach any member.</param>
public sealed record ClusterNodeView(string Name, string Address, string State, int Shards, int? Entities, DateTimeOffset UpSince, bool Self,
    string? AdminAddress = null);

public sealed record ClusterView(string Store, int MaxShards, IReadOnlyList<ClusterNodeView> Nodes);

public sealed record RecipientTotals(long Pending, long Delivered, long Failed, long Expired);

public sealed record QueueView(long Messages, RecipientTotals Recipients, DateTimeOffset? OldestQueuedAt, long? OldestAgeSeconds);

/// <param name="Suspended">An operator's suspension of the domain is in force (the throttle state the store knows).</param>
/// <param name="Live">Asked for (<c>live=true</c>): the running entity's throttle state, from the node owning the domain; null when it has none or could not be asked.</param>
public sealed record DomainQueueView(string Domain, long Queued, DateTimeOffset? OldestQueuedAt, long? OldestAgeSeconds,
    string? LastError, DateTimeOffset? LastAttemptAt, bool Suspended, LiveDomainView? Live = null);

/// <param name="LiveProblems">The owners that could not be asked for their domains' live state, in words.</param>
public sealed record TopDomainsView(int N, IReadOnlyList<DomainQueueView> Domains, IReadOnlyList<string>? LiveProblems = null);

public sealed record SuspensionView(DateTimeOffset SuspendedAt, DateTimeOffset? Until, string? Reason);

/// <param name="Key">The domains.yaml entry that gave it (default, a domain, a *. wildcard, or mx:name).</param>
/// <param name="Match">How it matched: exact, wildcard, mx_pattern or default.</param>
/// <param name="Why">The match in words.</param>
public sealed record PolicyView(
    string Key, string Match, string ThrottleKey, string Why,
    int MaxConnections, int MaxMessagesPerConnection, int MaxRecipientsPerTransaction,
    int? MaxMessagesPerMinute, int? MaxMessagesPerHour, int? MaxNewConnectionsPerMinute,
    IReadOnlyList<string> RetryIntervals, string RetryThenEvery, string MaxAge,
    string Tls, string EgressPool, string? Route);

public sealed record DomainView(string Domain, int Shard, long Queued, DateTimeOffset? OldestQueuedAt, long? OldestAgeSeconds,
    string? LastError, DateTimeOffset? LastAttemptAt, SuspensionView? Suspension, PolicyView Policy);

public sealed record RecipientView(
    long Id, string Address, string Domain, RecipientState State, int Attempts, DateTimeOffset QueuedAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? LastAttemptAt, string? LastReply, string? RemoteMta, DateTimeOffset? DelayNoticeAt, string? OriginalRecipient, string Notify);

/// <param name="Dsn">
/// pending (a recipient is still pending), due (every recipient final, the DSN not queued yet),
/// queued (the DSN was queued when the message finished), none (nothing to report, or the null sender).
/// </param>
public sealed record MessageView(
    string Id, string ReversePath, DateTimeOffset ReceivedAt, long Size, string Tenant, DeliveryLane Lane, string? Campaign,
    MessageBodyType BodyType, bool SmtpUtf8, DsnReturn DsnReturn, string? EnvelopeId, string? ClientAddress, string? AuthenticatedUser,
    IReadOnlyList<RecipientView> Recipients, string Dsn, DateTimeOffset? CompletedAt, DateTimeOffset? RetainedUntil);
