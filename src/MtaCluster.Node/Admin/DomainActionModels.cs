namespace MtaCluster.Node.Admin;

// The documents of DomainActionRoutes (see AdminApiModels for the conventions: UTC times, snake_case keys).

/// <summary>The body of POST /api/domains/{d}/suspend; both optional.</summary>
/// <param name="Until">An ISO 8601 instant, or a duration from now (90s, 30m, 2h, 7d); absent: until resumed.</param>
public sealed record SuspendRequest(string? Until, string? Reason);

/// <param name="TakesEffectOn">This node, or the owning node told through the store.</param>
public sealed record DomainSuspendedView(string Domain, int Shard, bool Suspended, DateTimeOffset SuspendedAt, DateTimeOffset? SuspendedUntil, string? Reason, string TakesEffectOn);

public sealed record DomainResumedView(string Domain, int Shard, bool Suspended, bool WasSuspended, string TakesEffectOn);

/// <param name="RecipientsDueNow">The domain's pending recipients, every one of them due now.</param>
/// <param name="RecipientsMadeDue">Those of them that were waiting for a later retry.</param>
/// <param name="Suspended">A suspension is in force: they are due, but nothing goes until it ends.</param>
public sealed record DomainFlushedView(string Domain, int Shard, long RecipientsDueNow, int RecipientsMadeDue, bool Suspended, string TakesEffectOn);

/// <param name="CompletedMessages">Messages left with only final recipients: their DSN (for those) or removal follows.</param>
public sealed record DomainPurgedView(string Domain, int Shard, int PurgedRecipients, int RemovedMessages, int CompletedMessages);

/// <summary>A purge asked for without confirm: what it would remove.</summary>
public sealed record PurgeRefusedView(string Error, string Message, string Domain, long WouldRemove);

/// <summary>What the domain's running entity works under, from the node that owns it.</summary>
public sealed record LiveDomainView(string Node, string PolicyKey, string ThrottleKey, bool Suspended, bool InBackoff, int ActiveConnections, int MaxConnections, int InFlight);

/// <param name="Live">The running entity's view, from the node owning the domain (this one or the owner asked); null when it could not be had.</param>
/// <param name="LiveProblem">Why <paramref name="Live"/> is null when the owner could not be asked (a different token, unreachable).</param>
public sealed record DomainPolicyView(string Domain, int Shard, PolicyView Policy, SuspensionView? Suspension, LiveDomainView? Live, string Owner,
    string? LiveProblem = null);
