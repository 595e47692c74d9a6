using Microsoft.Data.Sqlite;
using MtaCluster.Actors.Sharding;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// A node started on a spool written by a build of schema version 3, which kept no record of
/// complete messages: the messages whose every recipient was already final are finished like any
/// other (removed; a DSN for the one with a failed recipient), and the one still pending stays.
/// </summary>
public sealed class UpgradedSpoolEndToEndTests : IDisposable
{
    private const int Delivered = 1_200;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-upgraded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Messages_complete_before_the_upgrade_are_finished_and_removed()
    {
        var dataDir = Path.Combine(_dir, "data");
        Directory.CreateDirectory(dataDir);
        var spool = Path.Combine(dataDir, "spool.db");
        await WriteVersion3SpoolAsync(spool);

        // Both receivers defer: the pending recipient and the DSN stay in the spool to be seen.
        var deferAll = new SmtpDialogue { OnCommand = l => l.StartsWith("RCPT", StringComparison.Ordinal) ? "451 4.3.0 try later\r\n" : null };
        await using var peer = new ScriptedPeer(deferAll);
        await using var home = new ScriptedPeer(deferAll);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), peer.EndPoint.Port,
            $"domains:\n  home.test:\n    route: 127.0.0.1:{home.EndPoint.Port}\n    tls: none\n");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port,
            $"Delivery:\n  DomainsFile: {domains}\nSpool:\n  SweepInterval: 00:00:01\n");
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", Wait);

        await node.WaitForOutputAsync($"spool upgrade: {Delivered + 1} messages that were complete before the upgrade are marked complete", Wait);
        await Poll.UntilAsync(() => Query(spool, "SELECT COUNT(*) FROM messages WHERE id LIKE 'DONE%' OR id = 'FAILED'") == 0, Wait,
            $"the old complete messages to be removed:{Environment.NewLine}{node.OutputText}");

        Assert.Equal(1, Query(spool, "SELECT COUNT(*) FROM messages WHERE id = 'PENDING'"));
        // One DSN, to the sender of the message whose recipient failed, and nothing for those delivered.
        Assert.Equal(1, Query(spool, "SELECT COUNT(*) FROM messages WHERE reverse_path = ''"));
        Assert.Equal(1, Query(spool, "SELECT COUNT(*) FROM recipients r JOIN messages m ON m.id = r.message_id WHERE m.reverse_path = '' AND r.address = 'failed-sender@home.test'"));
        Assert.Equal(2, Query(spool, "SELECT COUNT(*) FROM messages"));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(Wait));
    }

    private static long Query(string spool, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spool, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    /// <summary>
    /// DONE0000... delivered to their one recipient, FAILED refused for its one, PENDING still queued:
    /// what a version-3 build left, with every recipient's shard as the cluster's (default 1024 shards) shard of its domain.
    /// </summary>
    private static async Task WriteVersion3SpoolAsync(string path)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        var peerShard = ShardHash.ShardOf("peer.test", 1024);
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        var body = "x'46726f6d3a203c61707040686f6d652e746573743e0d0a5375626a6563743a206f6c640d0a0d0a626f64790d0a'";
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            {OldSpoolSchema.Tables(3)}
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {Delivered})
            INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
                SELECT printf('DONE%05d', i), 'app@home.test', 0, 0, 0, NULL, {now}, 40, NULL, NULL, {body} FROM n;
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                SELECT id, 'ok@peer.test', NULL, 0, 'peer.test', {peerShard}, 1, 1, {now}, {now}, '250 ok' FROM messages;
            INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
                VALUES ('FAILED', 'failed-sender@home.test', 0, 0, 0, NULL, {now}, 40, NULL, NULL, {body}),
                       ('PENDING', 'app@home.test', 0, 0, 0, NULL, {now}, 40, NULL, NULL, {body});
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                VALUES ('FAILED', 'gone@peer.test', NULL, 0, 'peer.test', {peerShard}, 2, 1, {now}, {now}, '550 5.1.1 gone'),
                       ('PENDING', 'later@peer.test', NULL, 0, 'peer.test', {peerShard}, 0, 1, {now}, {now}, '451 4.3.0 try later');
            PRAGMA user_version = 3;
            """;
        await command.ExecuteNonQueryAsync();
    }
}
