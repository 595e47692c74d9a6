namespace MtaCluster.Storage.Sqlite;

/// <summary>The spool's tables and indexes; <c>PRAGMA user_version</c> holds <see cref="Version"/>.</summary>
internal static class SqliteSchema
{
    public const int Version = 3;

    // The body is the last column of messages: SQLite reads a row's overflow pages only up to the
    // columns asked for, so envelope-only reads never touch the body.
    // Recipient ids are AUTOINCREMENT so an id is never reused after a delete: a domain entity that
    // still holds the id of a deleted recipient must not update someone else's row.
    // Both due indexes end in next_attempt_at (and implicitly the rowid), so "due, oldest first,
    // LIMIT n" is a range scan that stops after n rows, with no sort.
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
            local_failures  INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS ix_recipients_shard_due  ON recipients (shard, state, next_attempt_at);
        CREATE INDEX IF NOT EXISTS ix_recipients_domain_due ON recipients (domain, state, next_attempt_at);
        CREATE INDEX IF NOT EXISTS ix_recipients_message    ON recipients (message_id);
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

    public const string RecipientColumns =
        "id, message_id, address, domain, shard, orcpt, notify, state, attempts, next_attempt_at, queued_at, last_reply, local_failures";

    public const string SelectDueForShard =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE shard = $shard AND state = 0 AND next_attempt_at <= $now " +
        "ORDER BY next_attempt_at, id LIMIT $limit";

    public const string SelectDueForDomain =
        "SELECT " + RecipientColumns + " FROM recipients " +
        "WHERE domain = $domain AND state = 0 AND next_attempt_at <= $now " +
        "ORDER BY next_attempt_at, id LIMIT $limit";

    public const string SelectNextAttempt =
        "SELECT MIN(next_attempt_at) FROM recipients WHERE domain = $domain AND state = 0";

    // A loose index scan (what PostgreSQL users write as a recursive CTE too): each step seeks the
    // next distinct domain on ix_recipients_domain_due, then its earliest pending time with one more
    // seek (min() over an index prefix), and its shard from one row. Nothing here reads every row
    // of a domain, so a page costs the same with ten recipients queued or ten million; grouping by
    // domain over the shard index did, with a table lookup per pending row, before the listeners opened.
    public const string SelectPendingDomainsPage = """
        WITH RECURSIVE walk(domain) AS (
            SELECT (SELECT domain FROM recipients WHERE domain > $after ORDER BY domain LIMIT 1)
            UNION ALL
            SELECT (SELECT domain FROM recipients WHERE domain > walk.domain ORDER BY domain LIMIT 1)
            FROM walk WHERE walk.domain IS NOT NULL
            LIMIT $limit
        )
        SELECT domain,
               (SELECT MIN(next_attempt_at) FROM recipients WHERE domain = walk.domain AND state = 0) AS next_attempt_at,
               (SELECT shard FROM recipients WHERE domain = walk.domain LIMIT 1) AS shard
        FROM walk WHERE domain IS NOT NULL
        """;

    public const string SelectSetting = "SELECT value FROM spool_settings WHERE key = $key";

    public const string InsertSettingIfAbsent = "INSERT INTO spool_settings (key, value) VALUES ($key, $value) ON CONFLICT (key) DO NOTHING";

    public const string UpsertSuspension =
        "INSERT INTO domain_suspensions (domain, suspended_at, until, reason) VALUES ($domain, $suspended_at, $until, $reason) " +
        "ON CONFLICT (domain) DO UPDATE SET suspended_at = excluded.suspended_at, until = excluded.until, reason = excluded.reason";

    public const string DeleteSuspension = "DELETE FROM domain_suspensions WHERE domain = $domain";

    public const string SelectSuspension = "SELECT domain, suspended_at, until, reason FROM domain_suspensions WHERE domain = $domain";

    public const string SelectMessage =
        "SELECT id, reverse_path, received_at, body_type, smtputf8, ret, envid, client_address, auth_user, body " +
        "FROM messages WHERE id = $id";

    public const string SelectRecipientsOfMessage =
        "SELECT " + RecipientColumns + " FROM recipients WHERE message_id = $id ORDER BY id";

    public const string SelectStatistics =
        "SELECT (SELECT COUNT(*) FROM messages), " +
        "COUNT(*) FILTER (WHERE state = 0), COUNT(*) FILTER (WHERE state = 1), " +
        "COUNT(*) FILTER (WHERE state = 2), COUNT(*) FILTER (WHERE state = 3) " +
        "FROM recipients";

    public const string InsertMessage =
        "INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body) " +
        "VALUES ($id, $reverse_path, $body_type, $smtputf8, $ret, $envid, $received_at, $size, $client_address, $auth_user, $body)";

    public const string InsertRecipient =
        "INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at) " +
        "VALUES ($message_id, $address, $orcpt, $notify, $domain, $shard, 0, 0, $next_attempt_at, $queued_at)";

    public const string UpdateRecipient =
        "UPDATE recipients SET state = $state, attempts = attempts + 1, next_attempt_at = $next_attempt_at, last_reply = $last_reply, " +
        "local_failures = $local_failures " +
        "WHERE id = $id";

    public const string DeleteMessage = "DELETE FROM messages WHERE id = $id";
}
