using MtaCluster.Mail;

namespace MtaCluster.Storage;

/// <summary>
/// The durable spool: messages (body stored once) and their recipients, with the per-recipient
/// delivery state the domain entities work from. SQLite is the embedded provider; PostgreSQL
/// joins it for the cluster. Every provider runs the same abstract test suite.
/// </summary>
public partial interface IQueueStore : IAsyncDisposable
{
    /// <summary>Creates the schema when missing. Idempotent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the message and all its recipients atomically. The task completes only after the
    /// transaction that holds it is durable on disk, so the caller may answer <c>250</c>.
    /// Many concurrent calls are grouped into one transaction by a single writer.
    /// Recipients start <see cref="RecipientState.Pending"/> with no attempts, queued and due at
    /// <see cref="SpoolMessage.ReceivedAt"/>. A caller's cancellation counts only while the message
    /// still waits for a transaction; once it is in one, the transaction's outcome is the call's.
    /// A message that cannot be stored (e.g. a duplicate id) fails its own call only and leaves
    /// nothing of itself behind; a failure of the database or the disk fails every call in the
    /// transaction. Throws <see cref="ArgumentException"/> for a message without recipients.
    /// </summary>
    Task EnqueueAsync(SpoolMessage message, CancellationToken cancellationToken = default);

    /// <summary>Pending recipients of one shard whose next attempt is due (at or before <paramref name="now"/>), oldest first, then in storing order: a range scan on (shard, state, next_attempt_at).</summary>
    Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsAsync(int shard, DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending recipients of one destination domain whose next attempt is due, oldest first; none while
    /// the domain's suspension (<see cref="SuspendDomainAsync"/>) is in force at <paramref name="now"/>.
    /// </summary>
    Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsForDomainAsync(string domain, DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending recipients of one destination's (lane, tenant) queue whose next attempt is due, oldest
    /// first: a range scan on (domain, state, lane, tenant, next_attempt_at). None while the domain's
    /// suspension is in force at <paramref name="now"/>: read with the rows, it holds whatever the caller
    /// last heard of it.
    /// </summary>
    Task<IReadOnlyList<QueuedRecipient>> GetDueRecipientsForDomainAsync(string domain, DeliveryLane lane, string tenant, DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The (lane, tenant) queues of a destination that hold pending recipients, in lane then tenant
    /// order, each with its earliest next-attempt time: one index seek per queue, whatever their lengths.
    /// </summary>
    Task<IReadOnlyList<LaneQueue>> GetLaneQueuesAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>The earliest next-attempt time of the domain's pending recipients, or null when it has none.</summary>
    Task<DateTimeOffset?> GetNextAttemptTimeAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>
    /// Walks the spool's domains in ordinal name order, <paramref name="limit"/> at a time, starting
    /// after <paramref name="after"/> (null: from the first), and returns those of them with pending
    /// recipients, each with its shard and earliest next-attempt time (wakes entities after a restart
    /// or handoff). Each step is an index seek to the next domain, so a page costs O(limit log n)
    /// whatever the number of recipients, and a caller can recover behind the listeners page by page.
    /// </summary>
    Task<PendingDomainsPage> GetPendingDomainsAsync(string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the cluster's shard count on first use and returns the stored one: recipients carry
    /// their shard, so a node started with a different count would strand mail in shards nobody owns.
    /// </summary>
    Task<int> GetOrStoreShardCountAsync(int maxShards, CancellationToken cancellationToken = default);

    /// <summary>
    /// The fingerprint of the domain placement the queued rows were filed under (see
    /// <see cref="StorePlacementAsync"/>), or null when none was ever stored: then every domain was
    /// placed by its own name.
    /// </summary>
    Task<string?> GetPlacementAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores (or replaces) the fingerprint of the placement the queued rows are filed under, durable when the task completes.</summary>
    Task StorePlacementAsync(string fingerprint, CancellationToken cancellationToken = default);

    /// <summary>
    /// Files every pending recipient of <paramref name="domain"/> under <paramref name="shard"/> (its domain's
    /// placement changed while it had mail queued); final ones keep theirs. Not fenced: it runs at start,
    /// before the node owns a shard and while no other node runs. Returns how many rows moved.
    /// </summary>
    Task<int> RefileDomainAsync(string domain, int shard, CancellationToken cancellationToken = default);

    /// <summary>Records (or replaces) an operator's suspension of a domain, durable when the task completes.</summary>
    Task SuspendDomainAsync(DomainSuspension suspension, CancellationToken cancellationToken = default);

    /// <summary>Lifts a domain's suspension; lifting one that does not exist does nothing.</summary>
    Task ResumeDomainAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>The domain's stored suspension (possibly past its <see cref="DomainSuspension.Until"/>), or null.</summary>
    Task<DomainSuspension?> GetDomainSuspensionAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>
    /// The suspensions in force at <paramref name="now"/> (no end, or an end after it), by domain name,
    /// at most <paramref name="limit"/> of them; ended ones that were never resumed are left out.
    /// </summary>
    Task<IReadOnlyList<DomainSuspension>> GetSuspendedDomainsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// An operator's flush: every pending recipient of <paramref name="domain"/> not due yet becomes due
    /// at <paramref name="now"/>, durable when the task completes. Returns how many moved. Not fenced:
    /// it is an external change, like a new message, made from any node; a recipient an owner holds in
    /// flight gets its outcome written over it, which is newer and wins.
    /// </summary>
    Task<int> FlushDomainAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Pending recipients a purge deletes per transaction (see <see cref="PurgeDomainAsync"/>).</summary>
    const int PurgePartSize = 1000;

    /// <summary>
    /// An operator's purge (as <c>postsuper -d</c>): deletes every pending recipient of
    /// <paramref name="domain"/> without a DSN, deletes the messages left with no recipient at all, and
    /// marks complete those left with only final recipients (their DSN or removal follows as usual, and
    /// is returned in <see cref="DomainPurge.Completed"/>). Final recipients are kept. It works in
    /// transactions of <see cref="PurgePartSize"/> recipients, each of them whole (their messages
    /// removed or completed in it), so a large queue never holds the spool's writers for long. Not
    /// fenced (see <see cref="FlushDomainAsync"/>): an owner's outcome for a recipient deleted here
    /// finds no row and is ignored, so it neither fails nor brings the row back.
    /// </summary>
    Task<DomainPurge> PurgeDomainAsync(string domain, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// The message envelope, or null when it is gone. The body is not read here: <see cref="StoredMessage.Body"/>
    /// reads it when asked (a DSN reads only the header of it; the sender's address needs none of it).
    /// </summary>
    Task<StoredMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The message for one delivery transaction: envelope and body read in one consistent snapshot,
    /// the body copied into a pooled buffer the caller disposes when the transaction is over. Null
    /// when the message is gone (deleted before the read began; a delete during it does not tear it).
    /// </summary>
    Task<LoadedMessage?> LoadMessageAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>All recipients of a message with their current state.</summary>
    Task<IReadOnlyList<QueuedRecipient>> GetRecipientsAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records the outcome of delivery attempts (state, attempt count, next attempt, last reply) in one
    /// transaction, durable when the task completes. Each entry counts as one attempt. Entries for
    /// recipients that no longer exist (message deleted) are ignored. Returns the messages
    /// this call completed: their last pending recipient became final here, and the record that they
    /// are complete (<see cref="GetCompletedMessagesAsync"/>) is in the same transaction. A provider
    /// told to remove delivered mail on completion deletes a message whose recipients were all
    /// delivered in that same transaction instead, and returns it as <see cref="CompletedMessage.Removed"/>.
    /// </summary>
    Task<IReadOnlyList<CompletedMessage>> RecordAttemptsAsync(IReadOnlyList<RecipientAttempt> attempts, CancellationToken cancellationToken = default);

    /// <summary>
    /// Messages of one shard whose every recipient is final and that are not finished yet, oldest
    /// completion first. A message becomes complete in the same transaction as its last recipient's
    /// outcome (<see cref="RecordAttemptsAsync"/>), so after a crash this is where the message's owner
    /// finds what is left to finish: nothing rests on a notification in memory.
    /// </summary>
    /// <param name="shard">The shard to look in; null for every shard (the table holds only messages waiting to be finished, so it stays small).</param>
    Task<IReadOnlyList<CompletedMessage>> GetCompletedMessagesAsync(int? shard, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="GetCompletedMessagesAsync(int?, int, CancellationToken)"/> for the shards a cluster
    /// node owns, oldest completion first across them: a page of every shard's entries would fill up
    /// with other nodes' (a dead node's, until its shards are taken) and hide this node's own.
    /// </summary>
    async Task<IReadOnlyList<CompletedMessage>> GetCompletedMessagesOfShardsAsync(IReadOnlyCollection<int> shards, int limit, CancellationToken cancellationToken = default)
    {
        var all = new List<CompletedMessage>();
        foreach (var shard in shards)
            all.AddRange(await GetCompletedMessagesAsync(shard, limit, cancellationToken).ConfigureAwait(false));
        return all.OrderBy(c => c.CompletedAt).ThenBy(c => c.MessageId, StringComparer.Ordinal).Take(limit).ToList();
    }

    /// <summary>
    /// In one transaction: stores <paramref name="notifications"/> (DSNs, as ordinary messages) and
    /// deletes the message with its recipients, or keeps it until <paramref name="retainUntil"/>
    /// (see <see cref="DeleteRetainedMessagesAsync"/>). Returns false, and stores nothing, when the
    /// message is not complete or was finished already: calling it again after a crash cannot queue a
    /// second DSN.
    /// </summary>
    Task<bool> FinishMessageAsync(string messageId, IReadOnlyList<SpoolMessage> notifications, DateTimeOffset? retainUntil = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// In one transaction: records that the sender was told at <paramref name="noticeAt"/> that these
    /// (still pending) recipients are delayed, and stores the notice. Recipients no longer pending are
    /// left alone; when none is pending any more (their outcomes came first, the message may be
    /// complete or gone) nothing is stored and the result is false: a delay notice never follows the
    /// end of a message.
    /// </summary>
    Task<bool> RecordDelayNoticeAsync(IReadOnlyList<long> recipientIds, DateTimeOffset noticeAt, SpoolMessage? notification, CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="limit"/> finished messages whose retention ended at or before <paramref name="now"/>; returns how many.</summary>
    Task<int> DeleteRetainedMessagesAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>The spool's size on disk: its file, the part of it that is free pages, and its write-ahead log.</summary>
    Task<SpoolSpace> GetSpaceAsync(CancellationToken cancellationToken = default);

    /// <summary>Returns up to <paramref name="maxPages"/> free pages to the file system (an idle-time chore; a no-op where the provider reuses space by itself).</summary>
    Task ReclaimFreeSpaceAsync(int maxPages, CancellationToken cancellationToken = default);

    /// <summary>Deletes a message, its body and its recipients (after every recipient is final and any DSN is queued). Deleting an unknown id does nothing.</summary>
    Task DeleteMessageAsync(string messageId, CancellationToken cancellationToken = default);

    /// <summary>Counts for the control plane and tests: messages, and recipients by state.</summary>
    Task<QueueStatistics> GetStatisticsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="GetStatisticsAsync"/> and the oldest pending recipient's queue time, in the same one
    /// pass over the recipients that the counts by state need (no index holds them).
    /// </summary>
    Task<QueueSummary> GetQueueSummaryAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The <paramref name="limit"/> domains with the most pending recipients, most first (then by name),
    /// each with its oldest queue time and its last attempt's reply. One pass over the pending
    /// recipients grouped by domain, then one range scan of each listed domain's pending rows for its
    /// last reply: the cost of a summary, paid per request, never per domain of the spool beyond that pass.
    /// </summary>
    Task<IReadOnlyList<DomainQueue>> GetTopDomainsAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// One domain's queue: a range scan of its pending recipients on (domain, state). A domain with
    /// nothing pending has <see cref="DomainQueue.Pending"/> 0 and no oldest time.
    /// </summary>
    Task<DomainQueue> GetDomainQueueAsync(string domain, CancellationToken cancellationToken = default);

    /// <summary>The message's completion record (one primary-key seek), or null while a recipient is pending or once the message is gone.</summary>
    Task<MessageCompletion?> GetMessageCompletionAsync(string messageId, CancellationToken cancellationToken = default);
}
