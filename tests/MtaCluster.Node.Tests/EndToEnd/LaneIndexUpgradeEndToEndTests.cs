using System.Text;
using Microsoft.Data.Sqlite;
using MtaCluster.Actors.Sharding;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// A node started on a large spool of schema version 4, whose upgrade needs the lane index built
/// over every recipient row: the listeners open first, the index is built behind them, and mail due
/// meanwhile (queued before the upgrade, or accepted after the start) is delivered all the same.
/// </summary>
public sealed class LaneIndexUpgradeEndToEndTests : IDisposable
{
    private const int Messages = 20_000;
    private const int RecipientsPerMessage = 10;
    private const int BacklogDomains = 100;
    private const int DueBeforeUpgrade = 20;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(120);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-laneindex-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_listeners_open_before_the_lane_index_is_built_and_mail_flows_meanwhile()
    {
        var dataDir = Path.Combine(_dir, "data");
        Directory.CreateDirectory(dataDir);
        var spool = Path.Combine(dataDir, "spool.db");
        await WriteVersion4SpoolAsync(spool);

        await using var sink = await SmtpSink.StartAsync(dump: true);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port, $"Delivery:\n  DomainsFile: {domains}\n");
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", Wait);

        using var timeout = new CancellationTokenSource(Wait);
        await using (var client = await LineSmtpClient.ConnectAsync(port, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nX-MtaCluster-Lane: transactional\r\nSubject: after the start\r\n\r\nnew mail\r\n");
            Assert.StartsWith("250", await client.SendAsync("app@example.com", ["new@due.test"], content, timeout.Token));
        }

        await node.WaitForOutputAsync("spool upgrade: lane index ix_recipients_lane_due built in", Wait);
        var lines = node.Output.ToList();
        var listening = lines.FindIndex(l => l.Contains("SMTP listener relay", StringComparison.Ordinal));
        var building = lines.FindIndex(l => l.Contains("spool upgrade: building the lane index", StringComparison.Ordinal));
        var built = lines.FindIndex(l => l.Contains("spool upgrade: lane index ix_recipients_lane_due built in", StringComparison.Ordinal));
        Assert.True(listening >= 0 && listening < building && building < built, string.Join(Environment.NewLine, lines.Take(200)));
        Assert.Equal(1, Query(spool, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = 'ix_recipients_lane_due'"));

        // The old due mail and the new message reach the receiver; the deferred backlog waits, untouched.
        var dumps = await sink.WaitForDumpsAsync(DueBeforeUpgrade + 1);
        Assert.Equal(DueBeforeUpgrade + 1, dumps.Length);
        Assert.Single(dumps, d => d.Contains("new mail", StringComparison.Ordinal));
        await Poll.UntilAsync(() => Query(spool, "SELECT COUNT(*) FROM recipients WHERE domain = 'due.test' AND state = 0") == 0, Wait, "the due recipients to be final");
        Assert.Equal(Messages * RecipientsPerMessage, Query(spool, "SELECT COUNT(*) FROM recipients WHERE state = 0"));

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
    /// What a version-4 build left: a backlog of 200,000 recipients over 100 domains, deferred for a
    /// day, and 20 messages to due.test that are due now.
    /// </summary>
    private static async Task WriteVersion4SpoolAsync(string path)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        var later = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeMilliseconds();
        var dueShard = ShardHash.ShardOf("due.test", 1024);
        // Each backlog domain under its shard at the default 1024 shards, as the old build filed it.
        var shards = string.Join(", ", Enumerable.Range(0, BacklogDomains).Select(d => $"({d}, {ShardHash.ShardOf($"d{d:D3}.test", 1024)})"));
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        var body = "x'46726f6d3a203c61707040686f6d652e746573743e0d0a5375626a6563743a206f6c640d0a0d0a626f64790d0a'";
        command.CommandText = $"""
            PRAGMA journal_mode = WAL;
            {OldSpoolSchema.Tables(4)}
            BEGIN;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {Messages})
            INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
                SELECT printf('BACKLOG%06d', i), 'app@home.test', 0, 0, 0, NULL, {now}, 40, NULL, NULL, {body} FROM n;
            WITH RECURSIVE r(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM r WHERE j + 1 < {RecipientsPerMessage}),
                 s(d, shard) AS (VALUES {shards})
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                SELECT m.id, printf('u%d@d%03d.test', r.j, s.d), NULL, 0, printf('d%03d.test', s.d), s.shard, 0, 1, {later}, {now}, '451 4.3.0 try later'
                FROM messages m JOIN s ON s.d = CAST(substr(m.id, 8) AS INTEGER) % {BacklogDomains}, r;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {DueBeforeUpgrade})
            INSERT INTO messages (id, reverse_path, body_type, smtputf8, ret, envid, received_at, size, client_address, auth_user, body)
                SELECT printf('DUE%03d', i), 'app@home.test', 0, 0, 0, NULL, {now}, 40, NULL, NULL, {body} FROM n;
            INSERT INTO recipients (message_id, address, orcpt, notify, domain, shard, state, attempts, next_attempt_at, queued_at, last_reply)
                SELECT id, 'old@due.test', NULL, 0, 'due.test', {dueShard}, 0, 0, {now}, {now}, NULL FROM messages WHERE id LIKE 'DUE%';
            COMMIT;
            PRAGMA user_version = 4;
            """;
        await command.ExecuteNonQueryAsync();
    }
}
