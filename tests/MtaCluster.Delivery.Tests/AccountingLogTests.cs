using System.Text.Json;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public sealed class AccountingLogTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "acct-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static AccountingRecord Bounced(int i, DateTimeOffset time) => new()
    {
        Type = AccountingRecordType.Bounced,
        Time = time,
        MessageId = $"msg-{i}",
        Recipient = $"user{i}@gmail.com",
        Sender = "news@example.com",
        Domain = "gmail.com",
        MxHost = "gmail-smtp-in.l.google.com",
        MxIp = "142.250.27.26",
        SourceIp = "127.0.0.2",
        TlsProtocol = "Tls13",
        TlsCipher = "TLS_AES_256_GCM_SHA384",
        Reply = new AccountingReply(550, "5.1.1", "The email account that you tried to reach does not exist. \"quoted\" <x> é"),
        Category = BounceCategory.BadMailbox.ToName(),
        Attempt = 3,
        QueueSeconds = 1234.5,
    };

    private string[] Lines() =>
        Directory.GetFiles(_dir, "*.jsonl").Order(StringComparer.Ordinal).SelectMany(File.ReadAllLines).ToArray();

    [Fact]
    public async Task Lines_parse_back_with_every_field()
    {
        var time = new DateTimeOffset(2025, 3, 1, 14, 30, 15, 123, TimeSpan.FromHours(2));
        await using (var log = new AccountingLog(new AccountingLogOptions { Directory = _dir }, new ManualTimeProvider()))
        {
            log.Record(Bounced(1, time));
            log.Record(new AccountingRecord
            {
                Type = AccountingRecordType.Delivered,
                Time = time,
                MessageId = "msg-2",
                Recipient = "a@b.test",
                Domain = "b.test",
                Attempt = 1,
            });
        }

        var lines = Lines();
        Assert.Equal(2, lines.Length);
        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal("bounced", root.GetProperty("type").GetString());
        Assert.Equal("2025-03-01T12:30:15.123Z", root.GetProperty("time").GetString());
        Assert.Equal("msg-1", root.GetProperty("message_id").GetString());
        Assert.Equal("user1@gmail.com", root.GetProperty("recipient").GetString());
        Assert.Equal("news@example.com", root.GetProperty("sender").GetString());
        Assert.Equal("gmail.com", root.GetProperty("domain").GetString());
        Assert.Equal("gmail-smtp-in.l.google.com", root.GetProperty("mx_host").GetString());
        Assert.Equal("142.250.27.26", root.GetProperty("mx_ip").GetString());
        Assert.Equal("127.0.0.2", root.GetProperty("source_ip").GetString());
        Assert.Equal("Tls13", root.GetProperty("tls_protocol").GetString());
        Assert.Equal("TLS_AES_256_GCM_SHA384", root.GetProperty("tls_cipher").GetString());
        var reply = root.GetProperty("reply");
        Assert.Equal(550, reply.GetProperty("code").GetInt32());
        Assert.Equal("5.1.1", reply.GetProperty("enhanced").GetString());
        Assert.EndsWith("\"quoted\" <x> é", reply.GetProperty("text").GetString());
        Assert.Equal("bad-mailbox", root.GetProperty("category").GetString());
        Assert.Equal(3, root.GetProperty("attempt").GetInt32());
        Assert.Equal(1234.5, root.GetProperty("queue_seconds").GetDouble());

        using var delivered = JsonDocument.Parse(lines[1]);
        Assert.Equal("delivered", delivered.RootElement.GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Null, delivered.RootElement.GetProperty("reply").ValueKind);
        Assert.Equal(JsonValueKind.Null, delivered.RootElement.GetProperty("category").ValueKind);
        Assert.Equal(JsonValueKind.Null, delivered.RootElement.GetProperty("next_attempt_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, delivered.RootElement.GetProperty("give_up_at").ValueKind);

        var back = JsonSerializer.Deserialize(lines[0], AccountingJsonContext.Default.AccountingRecord)!;
        Assert.Equal(Bounced(1, time) with { Time = time.ToUniversalTime() }, back with { Reply = back.Reply });
    }

    [Fact]
    public async Task A_deferral_says_when_the_next_attempt_is_and_when_the_recipient_gives_up()
    {
        var time = new DateTimeOffset(2025, 3, 1, 14, 30, 15, 123, TimeSpan.Zero);
        await using (var log = new AccountingLog(new AccountingLogOptions { Directory = _dir }, new ManualTimeProvider()))
        {
            log.Record(Bounced(1, time) with
            {
                Type = AccountingRecordType.Deferred,
                NextAttemptAt = time.AddMinutes(5),
                GiveUpAt = time.AddDays(5),
            });
        }

        using var doc = JsonDocument.Parse(Assert.Single(Lines()));
        Assert.Equal("2025-03-01T14:35:15.123Z", doc.RootElement.GetProperty("next_attempt_at").GetString());
        Assert.Equal("2025-03-06T14:30:15.123Z", doc.RootElement.GetProperty("give_up_at").GetString());
        var back = JsonSerializer.Deserialize(Lines()[0], AccountingJsonContext.Default.AccountingRecord)!;
        Assert.Equal(time.AddMinutes(5), back.NextAttemptAt);
    }

    [Fact]
    public async Task File_name_carries_the_utc_open_time()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 3, 1, 9, 8, 7, TimeSpan.Zero));
        await using (var log = new AccountingLog(new AccountingLogOptions { Directory = _dir }, clock))
        {
            log.Record(Bounced(1, clock.GetUtcNow()));
            await log.FlushAsync();
            Assert.Equal("acct-20250301-090807.jsonl", Path.GetFileName(log.CurrentFile));
        }

        Assert.Equal(["acct-20250301-090807.jsonl"], Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)));
    }

    [Fact]
    public async Task Size_rotation_creates_new_files_without_losing_lines()
    {
        var clock = new ManualTimeProvider();
        var options = new AccountingLogOptions { Directory = _dir, MaxFileBytes = 4096, RotateInterval = null };
        await using (var log = new AccountingLog(options, clock))
        {
            for (var i = 0; i < 200; i++)
            {
                log.Record(Bounced(i, clock.GetUtcNow()));
            }
        }

        var files = Directory.GetFiles(_dir, "*.jsonl");
        Assert.True(files.Length > 5, $"expected several files, got {files.Length}");
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, 4096 + 1024));
        var ids = Lines().Select(l => JsonDocument.Parse(l).RootElement.GetProperty("message_id").GetString()).ToArray();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"msg-{i}"), ids);
    }

    [Fact]
    public async Task Time_rotation_starts_a_file_at_each_interval_boundary()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 3, 1, 10, 59, 0, TimeSpan.Zero));
        var options = new AccountingLogOptions { Directory = _dir, RotateInterval = TimeSpan.FromHours(1) };
        await using (var log = new AccountingLog(options, clock))
        {
            log.Record(Bounced(1, clock.GetUtcNow()));
            await log.FlushAsync();
            clock.Advance(TimeSpan.FromSeconds(59));
            log.Record(Bounced(2, clock.GetUtcNow()));
            await log.FlushAsync();
            clock.Advance(TimeSpan.FromSeconds(1));
            log.Record(Bounced(3, clock.GetUtcNow()));
            await log.FlushAsync();
        }

        var files = Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["acct-20250301-105900.jsonl", "acct-20250301-110000.jsonl"], files);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(_dir, files[0])).Length);
        Assert.Single(File.ReadAllLines(Path.Combine(_dir, files[1])));
    }

    [Fact]
    public async Task Many_concurrent_writers_lose_nothing_on_dispose()
    {
        const int writers = 8, each = 2_000;
        var log = new AccountingLog(new AccountingLogOptions { Directory = _dir, MaxFileBytes = 256 * 1024 });
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < each; i++)
            {
                log.Record(Bounced(w * each + i, DateTimeOffset.UtcNow));
            }
        })));
        await log.DisposeAsync();

        Assert.Equal(writers * each, log.RecordsWritten);
        Assert.Equal(0, log.RecordsDropped);
        var ids = Lines().Select(l => JsonDocument.Parse(l).RootElement.GetProperty("message_id").GetString()).ToHashSet();
        Assert.Equal(writers * each, ids.Count);
    }

    [Fact]
    public async Task Flush_makes_lines_visible_before_dispose()
    {
        await using var log = new AccountingLog(new AccountingLogOptions { Directory = _dir, FlushInterval = TimeSpan.FromHours(1) });
        log.Record(Bounced(1, DateTimeOffset.UtcNow));
        await log.FlushAsync();
        using var stream = new FileStream(log.CurrentFile!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        Assert.Contains("msg-1", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Periodic_flush_writes_without_being_asked()
    {
        await using var log = new AccountingLog(new AccountingLogOptions { Directory = _dir, FlushInterval = TimeSpan.FromMilliseconds(50) });
        log.Record(Bounced(1, DateTimeOffset.UtcNow));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string content = "";
        while (DateTime.UtcNow < deadline && !content.Contains("msg-1"))
        {
            await Task.Delay(20);
            var file = Directory.GetFiles(_dir, "*.jsonl").SingleOrDefault();
            if (file is not null)
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                content = await new StreamReader(stream).ReadToEndAsync();
            }
        }

        Assert.Contains("msg-1", content);
    }

    [Fact]
    public async Task Records_after_dispose_are_counted_not_thrown()
    {
        var log = new AccountingLog(new AccountingLogOptions { Directory = _dir });
        await log.DisposeAsync();
        log.Record(Bounced(1, DateTimeOffset.UtcNow));
        Assert.Equal(1, log.RecordsDropped);
        await log.FlushAsync();
        await log.DisposeAsync();
    }

    [Fact]
    public void Composite_sink_reaches_every_sink_even_when_one_throws()
    {
        var seen = new List<string>();
        var sink = new CompositeAccountingSink(new ThrowingSink(), new ListSink(seen), new ListSink(seen));
        sink.Record(Bounced(1, DateTimeOffset.UtcNow));
        Assert.Equal(["msg-1", "msg-1"], seen);
    }

    private sealed class ThrowingSink : IAccountingSink
    {
        public void Record(AccountingRecord record) => throw new InvalidOperationException("boom");
    }

    private sealed class ListSink(List<string> seen) : IAccountingSink
    {
        public void Record(AccountingRecord record) => seen.Add(record.MessageId);
    }
}
