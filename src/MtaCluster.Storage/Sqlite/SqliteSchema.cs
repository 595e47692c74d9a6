namespace MtaCluster.Storage.Sqlite;

/// <summary>The spool's tables and indexes; <c>PRAGMA user_version</c> holds <see cref="Version"/>.</summary>
internal static class SqliteSchema
{
    public const int Version = 5;

    // The body is the last column of messages: SQLite reads a row's overflow pages only up to the
    // columns asked for, so envelope-only reads never touch the body.
    // Recipient ids are AUTOINCREMENT so an id is never reused after a delete: a domain entity that
    // still holds the id of a deleted recipient must not update someone else's row.
    // Both due indexes end in next_attempt_at (and implicitly the rowid), so "due, oldest first,
    // LIMIT n" is a range scan that stops after n rows, with no sort.
    // ix_recipients_message ends in state so "does the message still have a pending recipient" is one
    // seek however many recipients it has; a file made before version 4 keeps its index on message_id
    // alone (same name, so CREATE ... IF NOT EXISTS leaves it), because rebuilding it would read every row.
    // A message is complete when a row in message_completions says so, written in the transaction that
    // made its last recipient final; a table of its own, because indexing a new column of messages on
    // an old file would read every message body's pages.
    public const string Create = """
        CREATE TABLE IF NOT EXISTS messages (
            id              TEXT    NOT NULL PRIMARY KEY,
            reverse_path    TEXT    NOT NULL,
            body_type       INTEGER NOT NULL,
            smtputf8        INTEGER NOT NULL,
            ret             INTEGER NOT NULL,
            envid           TEXT,
            received_at     INTEGER NOT NULL,
            size            INTEGER NOT NULL,
            client_address  TEXT,
            auth_user       TEXT,
            shard           INTEGER NOT NULL DEFAULT -1,
            tenant          TEXT    NOT NULL DEFAULT 'default',
            lane            INTEGER NOT NULL DEFAULT 0,
            campaign        TEXT,
            body            BLOB    NOT NULL
        );
        CREATE TABLE IF NOT EXISTS recipients (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id      TEXT    NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            address         TEXT    NOT NULL,
            orcpt           TEXT,
            notify          INTEGER NOT NULL,
            domain          TEXT    NOT NULL,
            shard           INTEGER NOT NULL,
            state           INTEGER NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            queued_at       INTEGER NOT NULL,
            last_reply      TEXT,
            local_failures  INTEGER NOT NULL DEFAULT 0,
            delay_notice_at INTEGER,
            last_attempt_at INTEGER,
            remote_mta      TEXT,
            lane            INTEGER NOT NULL DEFAULT 0,
            tenant          TEXT    NOT NULL DEFAULT 'default'
        );
        CREATE INDEX IF NOT EXISTS ix_recipients_shard_due  ON recipients (shard, state, next_attempt_at);
        CREATE INDEX IF NOT EXISTS ix_recipients_domain_due ON recipients (domain, state, next_attempt_at);
        CREATE INDEX IF NOT EXISTS ix_recipients_message    ON recipients (message_id, state);
        CREATE TABLE IF NOT EXISTS message_completions (
            message_id      TEXT    NOT NULL PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
            shard           INTEGER NOT NULL,
            completed_at    INTEGER NOT NULL,
            undelivered     INTEGER NOT NULL DEFAULT 0,
            retained_until  INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_completions_due      ON message_completions (shard, completed_at) WHERE retained_until IS NULL;
        CREATE INDEX IF NOT EXISTS ix_completions_waiting  ON message_completions (completed_at) WHERE retained_until IS NULL;
        CREATE INDEX IF NOT EXISTS ix_completions_retained ON message_completions (retained_until) WHERE retained_until IS NOT NULL;
        CREATE TABLE IF NOT EXISTS spool_settings (
            key             TEXT    NOT NULL PRIMARY KEY,
            value           TEXT    NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS domain_suspensions (
            domain          TEXT    NOT NULL PRIMARY KEY,
            suspended_at    INTEGER NOT NULL,
            until           INTEGER,
            reason          TEXT
        ) WITHOUT ROWID;
        """;

    public const string LaneIndex = "ix_recipients_lane_due";

    // Not in Create: on a file upgraded from version 4 building it reads every recipient row, so
    // SqliteLaneIndexBuild makes it behind the listeners; a new file gets it in the transaction that
    // makes its tables, while they are empty.
    public const string CreateLaneIndex =
        "CREATE INDEX IF NOT EXISTS " + LaneIndex + " ON recipients (domain, state, lane, tenant, next_attempt_at) WHERE state = 0";

    public const string LaneIndexExists = "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = '" + LaneIndex + "'";

    public const string RecipientColumns =
        "id, message_id, address, domain, shard, orcpt, notify, state, attempts, next_attempt_at, queued_at, last_reply, local_failures, delay_notice_at, last_attempt_at, remote_mta, lane, tenant";

    public const string SelectDueForShard =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE shard = $shard AND state = 0 AND next_attempt_at <= $now " +
        "ORDER BY next_attempt_at, id LIMIT $limit";

    // Nothing while an operator's suspension of the domain is in force: the query that hands work out
    // reads it with the rows, so an entity whose word of a suspension is late still sends nothing it fetches.
    public const string SelectDueForDomain =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE domain = $domain AND state = 0 AND next_attempt_at <= $now " +
        "AND NOT EXISTS (SELECT 1 FROM domain_suspensions s WHERE s.domain = $domain AND (s.until IS NULL OR s.until > $now)) " +
        "ORDER BY next_attempt_at, id LIMIT $limit";

    // ix_recipients_lane_due holds pending rows only (WHERE state = 0): a final outcome deletes the
    // row's entry instead of moving it, and the index stays the size of the queue, not of the spool.
    // The queries on it say state = 0 literally, which is what lets SQLite use a partial index.
    // One (lane, tenant) queue of a domain: equality on the first four columns of
    // ix_recipients_lane_due, so "due, oldest first, LIMIT n" is a range scan that stops after n rows.
    public const string SelectDueForLane =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE domain = $domain AND state = 0 AND lane = $lane AND tenant = $tenant AND next_attempt_at <= $now " +
        "AND NOT EXISTS (SELECT 1 FROM domain_suspensions s WHERE s.domain = $domain AND (s.until IS NULL OR s.until > $now)) " +
        "ORDER BY next_attempt_at, id LIMIT $limit";

    // A loose index scan over ix_recipients_lane_due: one seek to the next (lane, tenant) of the
    // domain's pending recipients after the one given, with its earliest time from a second seek.
    // Called once per queue, so listing them costs O(queues log n) however many recipients wait.
    public const string SelectNextLaneQueue =
        "SELECT lane, tenant, " +
        "(SELECT MIN(q.next_attempt_at) FROM recipients q WHERE q.domain = $domain AND q.state = 0 AND q.lane = r.lane AND q.tenant = r.tenant) AS next_attempt_at " +
        "FROM recipients r INDEXED BY ix_recipients_lane_due " +
        "WHERE r.domain = $domain AND r.state = 0 AND (r.lane, r.tenant) > ($lane, $tenant) " +
        "ORDER BY r.lane, r.tenant LIMIT 1";

    // Until ix_recipients_lane_due exists (a file upgraded from version 4, until its build commits):
    // one range scan of the domain's pending rows on ix_recipients_domain_due, grouped in a temporary
    // b-tree. It reads the whole queue of the domain rather than one seek per queue, so a domain with
    // a large backlog lists its queues more slowly, but the same queues.
    public const string SelectLaneQueuesWithoutLaneIndex =
        "SELECT lane, tenant, MIN(next_attempt_at) AS next_attempt_at FROM recipients " +
        "WHERE domain = $domain AND state = 0 GROUP BY lane, tenant ORDER BY lane, tenant";

    public const string SelectNextAttempt =
        "SELECT MIN(next_attempt_at) FROM recipients WHERE domain = $domain AND state = 0";

    // A loose index scan (what PostgreSQL users write as a recursive CTE too): each step seeks the
    // next distinct domain on ix_recipients_domain_due, then its earliest pending time with one more
    // seek (min() over an index prefix), and its shard from one row. Nothing here reads every row
    // of a domain, so a page costs the same with ten recipients queued or ten million; grouping by
    // domain over the shard index did, with a table lookup per pending row, before the listeners opened.
    // INDEXED BY: ix_recipients_lane_due starts with domain too, but its wider rows cost more pages per step.
    public const string SelectPendingDomainsPage = """
        WITH RECURSIVE walk(domain) AS (
            SELECT (SELECT domain FROM recipients INDEXED BY ix_recipients_domain_due WHERE domain > $after ORDER BY domain LIMIT 1)
            UNION ALL
            SELECT (SELECT domain FROM recipients INDEXED BY ix_recipients_domain_due WHERE domain > walk.domain ORDER BY domain LIMIT 1)
            FROM walk WHERE walk.domain IS NOT NULL
            LIMIT $limit
        )
        SELECT domain,
               (SELECT MIN(next_attempt_at) FROM recipients WHERE domain = walk.domain AND state = 0) AS next_attempt_at,
               (SELECT shard FROM recipients INDEXED BY ix_recipients_domain_due WHERE domain = walk.domain LIMIT 1) AS shard
        FROM walk WHERE domain IS NOT NULL
        """;

    public const string SelectSetting = "SELECT value FROM spool_settings WHERE key = $key";

    public const string InsertSettingIfAbsent = "INSERT INTO spool_settings (key, value) VALUES ($key, $value) ON CONFLICT (key) DO NOTHING";

    public const string UpsertSetting = "INSERT INTO spool_settings (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

    public const string RefileDomain = "UPDATE recipients SET shard = $shard WHERE domain = $domain AND state = 0 AND shard <> $shard";

    public const string UpsertSuspension =
        "INSERT INTO domain_suspensions (domain, suspended_at, until, reason) VALUES ($domain, $suspended_at, $until, $reason) " +
        "ON CONFLICT (domain) DO UPDATE SET suspended_at = excluded.suspended_at, until = excluded.until, reason = excluded.reason";

    public const string DeleteSuspension = "DELETE FROM domain_suspensions WHERE domain = $domain";

    public const string SelectSuspension = "SELECT domain, suspended_at, until, reason FROM domain_suspensions WHERE domain = $domain";

    // Both on ix_recipients_domain_due: a range of the domain's pending rows, whatever the rest of the spool holds.
    public const string FlushDomainPart =
        "UPDATE recipients SET next_attempt_at = $now WHERE id IN " +
        "(SELECT id FROM recipients WHERE domain = $domain AND state = 0 AND next_attempt_at > $now LIMIT $limit)";

    public const string PurgeDomainPart =
        "DELETE FROM recipients WHERE id IN (SELECT id FROM recipients WHERE domain = $domain AND state = 0 LIMIT $limit) RETURNING id, message_id, address, attempts, queued_at, lane, tenant";

    public const string DeleteMessageWithoutRecipients =
        "DELETE FROM messages WHERE id = $id AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = $id)";

    // Every column but the body: the rowid and size are what a read of the body through an
    // incremental-I/O handle needs, and the body's overflow pages are never touched.
    public const string SelectMessage =
        "SELECT rowid AS row_id, id, reverse_path, received_at, body_type, smtputf8, ret, envid, client_address, auth_user, size, tenant, lane, campaign " +
        "FROM messages WHERE id = $id";

    // For sending: only while a recipient of it is still pending (one seek on ix_recipients_message). An
    // operator's bounce may have made every recipient final while a domain still held some of them.
    public const string SelectMessageToSend =
        SelectMessage + " AND EXISTS (SELECT 1 FROM recipients p WHERE p.message_id = $id AND p.state = 0)";

    public const string SelectMessageRowid = "SELECT rowid FROM messages WHERE id = $id";

    public const string SelectRecipientsOfMessage =
        "SELECT " + RecipientColumns + " FROM recipients WHERE message_id = $id ORDER BY id";

    public const string SelectStatistics =
        "SELECT (SELECT COUNT(*) FROM messages), " +
        "COUNT(*) FILTER (WHERE state = 0), COUNT(*) FILTER (WHERE state IN (1, 4)), " +
        "COUNT(*) FILTER (WHERE state = 2), COUNT(*) FILTER (WHERE state = 3) " +
        "FROM recipients";

    // The body goes in as zeroblob($size) and is then written through an incremental-I/O handle on
    // the new row, piece by piece from wherever the pieces are: no array of the whole message is made.
    public const string InsertMessage =
        "INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, shard, tenant, lane, campaign, body) " +
        "VALUES ($id, $reverse_path, $body_type, $smtputf8, $ret, $envid, $received_at, $size, $client_address, $auth_user, $shard, $tenant, $lane, $campaign, zeroblob($size))";

    public const string InsertRecipient =
        "INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, lane, tenant) " +
        "VALUES ($message_id, $address, $orcpt, $notify, $domain, $shard, 0, 0, $next_attempt_at, $queued_at, $lane, $tenant)";

    // Only a pending recipient takes an outcome: one an operator bounced or a duplicate report made final
    // keeps its first final state (see IQueueStore.BounceMessageAsync).
    public const string UpdateRecipient =
        "UPDATE recipients SET state = $state, attempts = attempts + 1, next_attempt_at = $next_attempt_at, last_reply = $last_reply, " +
        "local_failures = $local_failures, last_attempt_at = $last_attempt_at, remote_mta = $remote_mta " +
        "WHERE id = $id AND state = 0 RETURNING message_id";

    public const string DeleteMessage = "DELETE FROM messages WHERE id = $id";

    // Only when no recipient is in any state but delivered (1): none pending, none to report on.
    public const string DeleteMessageIfAllDelivered =
        "DELETE FROM messages WHERE id = $id AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = $id AND state <> 1)";

    // $shard is the cluster's shard of the message id when the store was given the shard function
    // (SqliteQueueStoreOptions.ShardOfMessage), and then messages.shard is not read at all: on a file
    // upgraded from version 3 that column comes after the body, and reading it walks the body's
    // overflow pages. Without the function ($shard -1) the stored shard is used; a message stored
    // before version 4 has -1 there, and its completion goes to shard 0, whose owner then finishes it.
    // The column named undelivered counts every recipient a DSN may report on: failed (2), expired (3)
    // and relayed (4). State 4 needs no schema step: an older build reads it as final and not failed,
    // so on a downgrade such a recipient only loses its success report.
    public const string MarkCompleteIfLast =
        "INSERT INTO message_completions (message_id, shard, completed_at, undelivered) " +
        "SELECT m.id, CASE WHEN $shard >= 0 THEN $shard WHEN m.shard < 0 THEN 0 ELSE m.shard END, $now, " +
        "(SELECT COUNT(*) FROM recipients f WHERE f.message_id = m.id AND f.state IN (2, 3, 4)) " +
        "FROM messages m WHERE m.id = $message_id " +
        "AND NOT EXISTS (SELECT 1 FROM recipients p WHERE p.message_id = m.id AND p.state = 0) " +
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id, shard, completed_at, undelivered";

    public const string SelectCompletedForShard =
        "SELECT message_id, shard, completed_at, undelivered FROM message_completions " +
        "WHERE shard = $shard AND retained_until IS NULL ORDER BY completed_at LIMIT $limit";

    public const string SelectCompleted =
        "SELECT message_id, shard, completed_at, undelivered FROM message_completions " +
        "WHERE retained_until IS NULL ORDER BY completed_at LIMIT $limit";

    public const string SelectCompletion =
        "SELECT retained_until FROM message_completions WHERE message_id = $id";

    public const string RetainCompleted =
        "UPDATE message_completions SET retained_until = $until WHERE message_id = $id";

    public const string DeleteRetainedUntil =
        "DELETE FROM messages WHERE id IN (SELECT message_id FROM message_completions " +
        "WHERE retained_until IS NOT NULL AND retained_until <= $now ORDER BY retained_until LIMIT $limit)";

    public const string MarkDelayNotice =
        "UPDATE recipients SET delay_notice_at = $at WHERE id = $id AND state = 0";
}
