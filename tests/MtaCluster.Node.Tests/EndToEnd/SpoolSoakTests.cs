using System.Globalization;
using Microsoft.Data.Sqlite;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// The spool stops growing: 200,000 messages through a real node into smtp-sink, and the spool file
/// (with its write-ahead log) ends no bigger than it was after the first 20,000, because removed
/// mail's pages are reused or handed back and checkpoints keep the log cycling.
/// </summary>
public sealed class SpoolSoakTests(ITestOutputHelper output) : IDisposable
{
    private const int Messages = 200_000;
    private const int SampleEvery = 20_000;
    private const int Sessions = 20;

    // Progress, not a total: a slow machine takes longer, a stuck node makes none.
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(90);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-soak-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Two_hundred_thousand_messages_leave_the_spool_no_bigger_than_twenty_thousand_did()
    {
        var dataDir = Path.Combine(_dir, "data");
        var spool = Path.Combine(dataDir, SqliteQueueStoreOptions.DefaultFileName);
        await using var sink = await SmtpSink.StartAsync();
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port,
            "  max-connections: 20\n  max-messages-per-connection: 1000\n");
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, port, $"""
            Logging:
              LogLevel:
                Default: Warning
                MtaCluster.Smtp.Server.SmtpServer: Information
            Delivery:
              DomainsFile: {domains}

            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));

        await using var source = SmtpSource.Start(port, Messages, Sessions, 2048, "soak@example.com", "rcpt@example.net");
        var samples = new List<SpoolSample>();
        var progress = new ProgressWatch(Stall);
        long largestQueue = 0, polls = 0;
        while (sink.MessagesReceived < Messages)
        {
            var delivered = sink.MessagesReceived;
            progress.Check(delivered, () => $"smtp-sink stalled at {delivered} of {Messages}; source exited: {source.HasExited}{System.Environment.NewLine}{node.OutputText}");
            Assert.False(node.HasExited, node.OutputText);
            if (delivered >= (samples.Count + 1) * (long)SampleEvery)
                samples.Add(await SampleAsync(spool, delivered));
            if (++polls % 5 == 0)
                largestQueue = Math.Max(largestQueue, await CountMessagesAsync(spool));
            await Task.Delay(100);
        }
        using (var wait = new CancellationTokenSource(Stall))
            await source.WaitForExitAsync(wait.Token);

        // Every message answered 250 reached the sink once it has Messages; the end is when the spool holds none of them.
        var left = long.MaxValue;
        var removal = new ProgressWatch(Stall);
        while ((left = await CountMessagesAsync(spool)) > 0)
        {
            removal.Check(-left, () => $"{left} messages still in the spool{System.Environment.NewLine}{node.OutputText}");
            await Task.Delay(200);
        }
        // Then the quiet spool hands its free pages back and a checkpoint shortens the file on disk:
        // the end is when the free list is down to less than one vacuum step and the file no longer than its pages.
        var reclaim = new ProgressWatch(Stall);
        SpoolSample end;
        while (!(end = await SampleAsync(spool, sink.MessagesReceived)).Reclaimed)
        {
            reclaim.Check(end.File + end.FreePages, () => $"the spool did not shrink: {end}{System.Environment.NewLine}{node.OutputText}");
            await Task.Delay(200);
        }

        output.WriteLine($"largest queue seen: {largestQueue} messages");
        output.WriteLine("delivered  spool.db  spool.db-wal  total (bytes)  (pages in use, free)");
        foreach (var sample in samples.Append(end))
            output.WriteLine(sample.ToString());

        Assert.Equal(Messages, sink.MessagesReceived);
        var first = samples[0];
        Assert.True(end.Total <= first.Total * 1.10, $"spool grew from {first.Total} bytes after {first.Delivered} to {end.Total} at the end");
        // Under load too, not only once the quiet spool has shrunk: a spool that kept what it delivered
        // would be nine times its size at 20,000 by the last sample. The bound leaves room for a
        // deeper queue of mail in flight on a slower machine, which is not growth.
        var lastUnderLoad = samples[^1];
        Assert.True(lastUnderLoad.Total <= first.Total * 3, $"spool grew under load from {first.Total} bytes after {first.Delivered} to {lastUnderLoad.Total} after {lastUnderLoad.Delivered}");
        // The log is checkpointed and cut back to SqliteQueueStoreOptions.WriteAheadLogSizeLimit; under
        // constant load it must not grow without bound either.
        var largestLog = samples.Append(end).Max(s => s.WriteAheadLog);
        Assert.True(largestLog <= SqliteQueueStoreOptions.WriteAheadLogSizeLimit, $"the -wal reached {largestLog} bytes");

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static async Task<SpoolSample> SampleAsync(string spool, long delivered)
    {
        var wal = new FileInfo(spool + "-wal");
        var file = new FileInfo(spool).Length;
        var walBytes = wal.Exists ? wal.Length : 0;
        await using var connection = await OpenReadOnlyAsync(spool);
        var messages = await ScalarAsync(connection, "SELECT COUNT(*) FROM messages");
        var pages = await ScalarAsync(connection, "PRAGMA page_count");
        var free = await ScalarAsync(connection, "PRAGMA freelist_count");
        var pageSize = await ScalarAsync(connection, "PRAGMA page_size");
        return new SpoolSample(delivered, messages, file, walBytes, pages - free, free, pageSize);
    }

    private static async Task<long> CountMessagesAsync(string spool)
    {
        await using var connection = await OpenReadOnlyAsync(spool);
        return await ScalarAsync(connection, "SELECT COUNT(*) FROM messages");
    }

    // Read-only and closed at once: a reader left open would pin the log and keep checkpoints from resetting it.
    private static async Task<SqliteConnection> OpenReadOnlyAsync(string spool)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spool, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private sealed record SpoolSample(long Delivered, long Queued, long File, long WriteAheadLog, long UsedPages, long FreePages, long PageSize)
    {
        public long Total => File + WriteAheadLog;

        /// <summary>Less than one vacuum step of free pages left, and the file on disk no longer than the pages it holds (checkpointed).</summary>
        public bool Reclaimed => FreePages < 32 && File <= (UsedPages + FreePages) * PageSize;

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Delivered,9}  {File,10}  {WriteAheadLog,10}  {Total,10}  ({UsedPages} pages in use, {FreePages} free, {Queued} messages queued)");
    }

    /// <summary>Fails when a count has not moved for the patience, however long the whole run takes.</summary>
    private sealed class ProgressWatch(TimeSpan patience)
    {
        private long _last = long.MinValue;
        private DateTime _since = DateTime.UtcNow;

        public void Check(long value, Func<string> what)
        {
            if (value != _last)
            {
                _last = value;
                _since = DateTime.UtcNow;
                return;
            }
            if (DateTime.UtcNow - _since > patience) throw new TimeoutException(what());
        }
    }
}
