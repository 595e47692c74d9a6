namespace MtaCluster.Storage.Postgres;

/// <summary>The spool's tables, indexes and statements in PostgreSQL; <c>spool_schema.version</c> holds <see cref="Version"/>.</summary>
internal static class PostgresSchema
{
    public const int Version = 1;

    /// <summary>The key of the transaction-level advisory lock that serialises migrations of nodes starting together.</summary>
    public const long MigrationLockKey = 0x4D54_4153_504F_4F4C; // "MTASPOOL"

    // Times are milliseconds since the epoch (bigint), as in the SQLite spool: the same values and the
    // same truncation on both providers, so the contract suite compares them exactly.
    // body is STORAGE EXTERNAL (TOASTed, never compressed): substring() on it then fetches only the
    // TOAST chunks it covers, so a DSN reading a 35 MB message's header reads a few kilobytes.
    // domain and tenant are COLLATE "C": the pending-domain walk and the lane queues are in ordinal
    // order whatever locale the database was created with, and a "C" btree compares bytes (cheaper).
    // The shard and lane due indexes are partial (WHERE state = 0): a final outcome removes the row's
    // entry, so each is the size of the queue, not of the spool, and "due, oldest first, LIMIT n" is a
    // range scan on (key, next_attempt_at, id) that stops after n entries, with no sort. The domain index
    // holds every row (state second): the pending-domain walk steps over every domain of the spool, as
    // the contract's pages do, and its due scan is the same range scan on (domain, 0, next_attempt_at).
    // Recipient ids come from an identity sequence, never reused: an entity holding the id of a
    // deleted recipient cannot update someone else's row.
    public const string Create = """
        CREATE TABLE IF NOT EXISTS messages (
            id              text     NOT NULL PRIMARY KEY,
            reverse_path    text     NOT NULL,
            body_type       smallint NOT NULL,
            smtputf8        boolean  NOT NULL,
            ret             smallint NOT NULL,
            envid           text,
            received_at     bigint   NOT NULL,
            size            bigint   NOT NULL,
            client_address  text,
            auth_user       text,
            shard           integer  NOT NULL,
            tenant          text     COLLATE "C" NOT NULL DEFAULT 'default',
            lane            smallint NOT NULL DEFAULT 0,
            campaign        text,
            body            bytea    NOT NULL
        );
        ALTER TABLE messages ALTER COLUMN body SET STORAGE EXTERNAL;
        CREATE TABLE IF NOT EXISTS recipients (
            id              bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            message_id      text     NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            address         text     NOT NULL,
            orcpt           text,
            notify          smallint NOT NULL,
            domain          text     COLLATE "C" NOT NULL,
            shard           integer  NOT NULL,
            state           smallint NOT NULL,
            attempts        integer  NOT NULL DEFAULT 0,
            next_attempt_at bigint   NOT NULL,
            queued_at       bigint   NOT NULL,
            last_reply      text,
            local_failures  integer  NOT NULL DEFAULT 0,
            delay_notice_at bigint,
            last_attempt_at bigint,
            remote_mta      text,
            lane            smallint NOT NULL DEFAULT 0,
            tenant          text     COLLATE "C" NOT NULL DEFAULT 'default'
        );
        CREATE INDEX IF NOT EXISTS ix_recipients_shard_due  ON recipients (shard, next_attempt_at, id) WHERE state = 0;
        CREATE INDEX IF NOT EXISTS ix_recipients_domain_due ON recipients (domain, state, next_attempt_at, id);
        CREATE INDEX IF NOT EXISTS ix_recipients_lane_due   ON recipients (domain, lane, tenant, next_attempt_at, id) WHERE state = 0;
        CREATE INDEX IF NOT EXISTS ix_recipients_message    ON recipients (message_id, state);
        CREATE TABLE IF NOT EXISTS message_completions (
            message_id      text     NOT NULL PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
            shard           integer  NOT NULL,
            completed_at    bigint   NOT NULL,
            undelivered     integer  NOT NULL DEFAULT 0,
            retained_until  bigint
        );
        CREATE INDEX IF NOT EXISTS ix_completions_due      ON message_completions (shard, completed_at, message_id) WHERE retained_until IS NULL;
        CREATE INDEX IF NOT EXISTS ix_completions_waiting  ON message_completions (completed_at, message_id) WHERE retained_until IS NULL;
        CREATE INDEX IF NOT EXISTS ix_completions_retained ON message_completions (retained_until) WHERE retained_until IS NOT NULL;
        CREATE TABLE IF NOT EXISTS spool_settings (
            key             text     NOT NULL PRIMARY KEY,
            value           text     NOT NULL
        );
        CREATE TABLE IF NOT EXISTS domain_suspensions (
            domain          text     COLLATE "C" NOT NULL PRIMARY KEY,
            suspended_at    bigint   NOT NULL,
            until           bigint,
            reason          text
        );
        """;

    public const string CreateVersionTable = "CREATE TABLE IF NOT EXISTS spool_schema (version integer NOT NULL)";

    public const string SelectVersion = "SELECT max(version) FROM spool_schema";

    public const string ClearVersion = "DELETE FROM spool_schema";

    public const string StoreVersion = "INSERT INTO spool_schema (version) VALUES ($1)";

    public const string RecipientColumns =
        "id, message_id, address, domain, shard, orcpt, notify, state, attempts, next_attempt_at, queued_at, last_reply, local_failures, delay_notice_at, last_attempt_at, remote_mta, lane, tenant";

    // state = 0 is written literally: that is what lets the planner use the partial indexes.
    public const string SelectDueForShard =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE shard = $1 AND state = 0 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3";

    // Nothing while an operator's suspension of the domain is in force: the query that hands work out
    // reads it with the rows, so a node whose word of a suspension is late still sends nothing it fetches.
    public const string SelectDueForDomain =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE domain = $1 AND state = 0 AND next_attempt_at <= $2 " +
        "AND NOT EXISTS (SELECT 1 FROM domain_suspensions s WHERE s.domain = $1 AND (s.until IS NULL OR s.until > $2)) " +
        "ORDER BY next_attempt_at, id LIMIT $3";

    public const string SelectDueForLane =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE domain = $1 AND state = 0 AND lane = $2 AND tenant = $3 AND next_attempt_at <= $4 " +
        "AND NOT EXISTS (SELECT 1 FROM domain_suspensions s WHERE s.domain = $1 AND (s.until IS NULL OR s.until > $4)) " +
        "ORDER BY next_attempt_at, id LIMIT $5";

    // A loose index scan over ix_recipients_lane_due: each step seeks the next (lane, tenant) after the
    // one before, then its earliest time with one more seek; O(queues log n) however long they are.
    public const string SelectLaneQueues = """
        WITH RECURSIVE queue(lane, tenant) AS (
            (SELECT lane, tenant FROM recipients WHERE domain = $1 AND state = 0 ORDER BY lane, tenant LIMIT 1)
            UNION ALL
            SELECT next.lane, next.tenant FROM queue, LATERAL (
                SELECT r.lane, r.tenant FROM recipients r
                WHERE r.domain = $1 AND r.state = 0 AND (r.lane, r.tenant) > (queue.lane, queue.tenant)
                ORDER BY r.lane, r.tenant LIMIT 1) next
        )
        SELECT lane, tenant,
               (SELECT min(q.next_attempt_at) FROM recipients q WHERE q.domain = $1 AND q.state = 0 AND q.lane = queue.lane AND q.tenant = queue.tenant)
        FROM queue ORDER BY lane, tenant
        """;

    public const string SelectNextAttempt = "SELECT min(next_attempt_at) FROM recipients WHERE domain = $1 AND state = 0";

    // A loose index scan ("skip scan" by recursive CTE) over ix_recipients_domain_due: each step seeks
    // the next pending domain, then its earliest time and its shard with one seek each. The outer LIMIT
    // stops the recursion, so a page costs O(limit log n) with ten recipients queued or ten million;
    // a GROUP BY domain would read every pending row.
    public const string SelectPendingDomainsPage = """
        WITH RECURSIVE walk(domain) AS (
            (SELECT domain FROM recipients WHERE domain > $1 ORDER BY domain LIMIT 1)
            UNION ALL
            SELECT (SELECT r.domain FROM recipients r WHERE r.domain > walk.domain ORDER BY r.domain LIMIT 1)
            FROM walk WHERE walk.domain IS NOT NULL
        )
        SELECT walk.domain,
               (SELECT min(d.next_attempt_at) FROM recipients d WHERE d.domain = walk.domain AND d.state = 0),
               (SELECT s.shard FROM recipients s WHERE s.domain = walk.domain LIMIT 1)
        FROM walk WHERE walk.domain IS NOT NULL LIMIT $2
        """;

    public const string SelectSetting = "SELECT value FROM spool_settings WHERE key = $1";

    public const string InsertSettingIfAbsent = "INSERT INTO spool_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";

    public const string UpsertSetting = "INSERT INTO spool_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

    // state = 0 literally, as in the due scans: the domain index's (domain, state) prefix finds the rows.
    public const string RefileDomain = "UPDATE recipients SET shard = $2 WHERE domain = $1 AND state = 0 AND shard <> $2";

    public const string UpsertSuspension =
        "INSERT INTO domain_suspensions (domain, suspended_at, until, reason) VALUES ($1, $2, $3, $4) " +
        "ON CONFLICT (domain) DO UPDATE SET suspended_at = excluded.suspended_at, until = excluded.until, reason = excluded.reason";

    public const string DeleteSuspension = "DELETE FROM domain_suspensions WHERE domain = $1";

    public const string SelectSuspension = "SELECT domain, suspended_at, until, reason FROM domain_suspensions WHERE domain = $1";

    public const string EnvelopeColumns =
        "id, reverse_path, received_at, body_type, smtputf8, ret, envid, client_address, auth_user, size, tenant, lane, campaign";

    public const int EnvelopeColumnCount = 13;

    public const string SelectMessage = "SELECT " + EnvelopeColumns + " FROM messages WHERE id = $1";

    // The body last: the reader is sequential, so it is copied straight from the socket into the buffer.
    // Only while a recipient is pending (one seek on ix_recipients_message): an operator's bounce may have
    // made every recipient final while a domain still held some of them, and nothing of it may be sent then.
    public const string SelectMessageWithBody = "SELECT " + EnvelopeColumns + ", body FROM messages WHERE id = $1 " +
        "AND EXISTS (SELECT 1 FROM recipients p WHERE p.message_id = $1 AND p.state = 0)";

    public const string SelectBodySize = "SELECT size FROM messages WHERE id = $1";

    public const string SelectBodySlice = "SELECT substring(body FROM $2 FOR $3) FROM messages WHERE id = $1";

    public const string SelectRecipientsOfMessage = "SELECT " + RecipientColumns + " FROM recipients WHERE message_id = $1 ORDER BY id";

    public const string SelectStatistics =
        "SELECT (SELECT count(*) FROM messages), " +
        "count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state IN (1, 4)), " +
        "count(*) FILTER (WHERE state = 2), count(*) FILTER (WHERE state = 3) " +
        "FROM recipients";

    public const string InsertMessage =
        "INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, shard, tenant, lane, campaign, body) " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

    // One statement per message whatever its recipient count: the text never changes, so it stays prepared.
    public const string InsertRecipients =
        "INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, lane, tenant) " +
        "SELECT $1, r.address, r.orcpt, r.notify, r.domain, r.shard, 0, 0, $7, $7, $8, $9 " +
        "FROM unnest($2::text[], $3::text[], $4::smallint[], $5::text[], $6::integer[]) AS r(address, orcpt, notify, domain, shard)";

    public const string Notify = "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload";

    // Only a pending recipient takes an outcome: one an operator bounced (or a duplicate report made final)
    // keeps its first final state. Under READ COMMITTED an update that waited for the bounce's row lock
    // re-reads the row and finds it final (see IQueueStore.BounceMessageAsync).
    public const string UpdateRecipient =
        "UPDATE recipients SET state = $2, attempts = attempts + 1, next_attempt_at = $3, last_reply = $4, " +
        "local_failures = $5, last_attempt_at = $6, remote_mta = $7 WHERE id = $1 AND state = 0 RETURNING message_id";

    public const string SelectShardsOfRecipients = "SELECT DISTINCT shard FROM recipients WHERE id = ANY($1)";

    public const string SelectMessageShardsOfRecipients =
        "SELECT DISTINCT m.shard FROM recipients r JOIN messages m ON m.id = r.message_id WHERE r.id = ANY($1)";

    public const string SelectMessageShard = "SELECT shard FROM messages WHERE id = $1";

    // Two nodes may record the last two outcomes of one message at once (its recipients belong to
    // different domains' owners). Each takes this lock before it looks for pending recipients, and the
    // look is a statement of its own: under READ COMMITTED it then sees the other's committed outcome,
    // so one of them always completes the message. NO KEY UPDATE does not block the FK checks of inserts.
    // Both a range of ix_recipients_domain_due: the domain's pending rows only.
    public const string FlushDomain =
        "UPDATE recipients SET next_attempt_at = $2 WHERE domain = $1 AND state = 0 AND next_attempt_at > $2";

    // A part of the queue at a time ($2 rows). state = 0 outside the subquery too: a row an outcome made
    // final meanwhile is checked again after the wait for its lock, and kept.
    public const string PurgeDomainPart =
        "DELETE FROM recipients WHERE id IN (SELECT id FROM recipients WHERE domain = $1 AND state = 0 LIMIT $2) AND state = 0 " +
        "RETURNING id, message_id, address, attempts, queued_at, lane, tenant";

    public const string DeleteMessagesWithoutRecipients =
        "DELETE FROM messages m WHERE m.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id) RETURNING m.id";

    // As DeleteMessageIfAllDelivered and MarkCompleteIfLast, for many messages in one statement.
    public const string DeleteMessagesAllDelivered =
        "DELETE FROM messages m WHERE m.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = m.id AND r.state <> 1) RETURNING m.id";

    public const string MarkCompleteIfLastOfMany =
        "INSERT INTO message_completions (message_id, shard, completed_at, undelivered) " +
        "SELECT m.id, m.shard, $2, (SELECT count(*) FROM recipients f WHERE f.message_id = m.id AND f.state IN (2, 3, 4)) " +
        "FROM messages m WHERE m.id = ANY($1) AND NOT EXISTS (SELECT 1 FROM recipients p WHERE p.message_id = m.id AND p.state = 0) " +
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id, shard, completed_at, undelivered";

    public const string LockMessages = "SELECT id FROM messages WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE";

    // Only when no recipient is in any state but delivered (1): none pending, none to report on.
    public const string DeleteMessageIfAllDelivered =
        "DELETE FROM messages m WHERE m.id = $1 AND NOT EXISTS (SELECT 1 FROM recipients r WHERE r.message_id = $1 AND r.state <> 1) RETURNING m.shard";

    // undelivered counts every recipient a DSN may report on: failed (2), expired (3) and relayed (4).
    public const string MarkCompleteIfLast =
        "INSERT INTO message_completions (message_id, shard, completed_at, undelivered) " +
        "SELECT m.id, m.shard, $2, (SELECT count(*) FROM recipients f WHERE f.message_id = m.id AND f.state IN (2, 3, 4)) " +
        "FROM messages m WHERE m.id = $1 AND NOT EXISTS (SELECT 1 FROM recipients p WHERE p.message_id = m.id AND p.state = 0) " +
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id, shard, completed_at, undelivered";

    public const string SelectCompletedForShard =
        "SELECT message_id, shard, completed_at, undelivered FROM message_completions " +
        "WHERE shard = $1 AND retained_until IS NULL ORDER BY completed_at, message_id LIMIT $2";

    public const string SelectCompletedForShards =
        "SELECT message_id, shard, completed_at, undelivered FROM message_completions " +
        "WHERE shard = ANY($1) AND retained_until IS NULL ORDER BY completed_at, message_id LIMIT $2";

    public const string SelectCompleted =
        "SELECT message_id, shard, completed_at, undelivered FROM message_completions " +
        "WHERE retained_until IS NULL ORDER BY completed_at, message_id LIMIT $1";

    // FOR UPDATE: a second owner finishing the same message waits, then finds the row gone or retained.
    public const string LockCompletion = "SELECT retained_until FROM message_completions WHERE message_id = $1 FOR UPDATE";

    public const string RetainCompleted = "UPDATE message_completions SET retained_until = $2 WHERE message_id = $1";

    public const string DeleteMessage = "DELETE FROM messages WHERE id = $1";

    public const string SelectRetainedShards =
        "SELECT DISTINCT shard FROM message_completions WHERE retained_until IS NOT NULL AND retained_until <= $1";

    public const string DeleteRetainedUntil =
        "DELETE FROM messages WHERE id IN (SELECT message_id FROM message_completions " +
        "WHERE retained_until IS NOT NULL AND retained_until <= $1 ORDER BY retained_until LIMIT $2)";

    public const string DeleteRetainedUntilInShards =
        "DELETE FROM messages WHERE id IN (SELECT message_id FROM message_completions " +
        "WHERE retained_until IS NOT NULL AND retained_until <= $1 AND shard = ANY($3) ORDER BY retained_until LIMIT $2)";

    public const string MarkDelayNotice = "UPDATE recipients SET delay_notice_at = $2 WHERE id = ANY($1) AND state = 0";

    // FOR KEY SHARE: a takeover (bumping the epoch, a key column of the lease table) waits until this
    // write commits, or, having committed first, is what this statement sees (READ COMMITTED re-reads a
    // row it waited for). Renewals change no key column and do not wait for it.
    public const string LockLeases = "SELECT shard, owner, epoch FROM shard_leases WHERE shard = ANY($1) ORDER BY shard FOR KEY SHARE";

    public const string SpoolTables = "('messages', 'recipients', 'message_completions', 'spool_settings', 'domain_suspensions', 'spool_schema')";

    public const string SelectSpace =
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname IN " + SpoolTables;
}
