namespace MtaCluster.Testing;

/// <summary>
/// The spool tables as builds of earlier schema versions wrote them, kept literally: the current
/// schema moves on, a file on an operator's disk does not. For tests that upgrade such a file.
/// </summary>
public static class OldSpoolSchema
{
    /// <summary>The DDL of a file at <paramref name="version"/> (1 to 4), as its build left it.</summary>
    public static string Tables(int version) =>
        Version1Tables
        + (version >= 2 ? Version2Tables : "")
        + (version >= 3 ? "ALTER TABLE recipients ADD COLUMN local_failures INTEGER NOT NULL DEFAULT 0;\n" : "")
        + (version >= 4 ? Version4Columns : "");

    private const string Version1Tables = """
        CREATE TABLE messages (
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
        CREATE TABLE recipients (
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
            last_reply      TEXT
        );
        CREATE INDEX ix_recipients_shard_due  ON recipients (shard, state, next_attempt_at);
        CREATE INDEX ix_recipients_domain_due ON recipients (domain, state, next_attempt_at);
        CREATE INDEX ix_recipients_message    ON recipients (message_id);
        """;

    private const string Version2Tables = """
        CREATE TABLE spool_settings (
            key             TEXT    NOT NULL PRIMARY KEY,
            value           TEXT    NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE domain_suspensions (
            domain          TEXT    NOT NULL PRIMARY KEY,
            suspended_at    INTEGER NOT NULL,
            until           INTEGER,
            reason          TEXT
        ) WITHOUT ROWID;
        """;

    // Version 4 as the builds that upgraded to it before completions were backfilled left a file: the
    // columns; the completion table was made empty by Create on open, as it is here.
    private const string Version4Columns = """
        ALTER TABLE messages ADD COLUMN shard INTEGER NOT NULL DEFAULT -1;
        ALTER TABLE recipients ADD COLUMN delay_notice_at INTEGER;
        ALTER TABLE recipients ADD COLUMN last_attempt_at INTEGER;
        ALTER TABLE recipients ADD COLUMN remote_mta TEXT;
        """;
}
