using System.Text;
using System.Text.Json;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Mail;
using MtaCluster.Storage;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public sealed class MimeDeliveryReportComposerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    private static QueuedRecipient Failed(string? orcpt = null) =>
        new(1, "M1", "bad@x.test", "x.test", 0, orcpt, DsnNotify.NotGiven, RecipientState.Failed, 1, T0, T0, "550 5.1.1 no such user", 0,
            LastAttemptAt: T0, RemoteMta: "mx.x.test");

    private static StoredMessage Original(byte[] content, string? envid = null) =>
        new("M1", "app@home.test", StoredBody.FromBytes(content), T0, MessageBodyType.SevenBit, false, DsnReturn.NotGiven, envid, null, null);

    private static async Task<string> ComposeAsync(StoredMessage original, QueuedRecipient recipient) =>
        Encoding.UTF8.GetString(await new MimeDeliveryReportComposer("mta.test").ComposeAsync(
            new DeliveryReport(DeliveryReportKind.Final, original, [recipient], T0)));

    [Fact]
    public async Task Line_breaks_in_a_clients_envid_or_orcpt_cannot_forge_status_fields()
    {
        var dsn = await ComposeAsync(Original("Subject: x\r\n\r\nbody\r\n"u8.ToArray(), envid: "id\r\nAction: delivered"),
            Failed("rfc822;bad@x.test\r\nStatus: 2.0.0"));
        var lines = dsn.Split("\r\n");
        Assert.DoesNotContain("Action: delivered", lines);
        Assert.DoesNotContain("Status: 2.0.0", lines);
        Assert.Contains(lines, l => l.StartsWith("Original-Envelope-Id: id??Action: delivered", StringComparison.Ordinal));
        Assert.Contains("Action: failed", lines);
    }

    [Fact]
    public async Task An_original_whose_header_is_too_big_to_parse_still_gets_its_report()
    {
        var header = new StringBuilder("To: ");
        for (var i = 0; i < 20_000; i++) header.Append($"user{i}@example.test, ");
        var content = Encoding.ASCII.GetBytes($"Subject: huge\r\n{header}\r\n\r\nbody\r\n");

        var dsn = await ComposeAsync(Original(content), Failed());

        Assert.Contains("Final-Recipient: rfc822; bad@x.test", dsn);
        Assert.Contains("Status: 5.1.1", dsn);
        Assert.DoesNotContain("user19999@example.test", dsn);
    }

    private static QueuedRecipient Recipient(long id, string address, RecipientState state, string reply, string? remoteMta, DsnNotify notify = DsnNotify.NotGiven) =>
        new(id, "M1", address, "x.test", 0, $"rfc822;orig-{address}", notify, state, 1, T0, T0, reply, 0, LastAttemptAt: T0, RemoteMta: remoteMta);

    private static async Task<Dictionary<string, JsonElement>> GroupsAsync(DeliveryReport report)
    {
        var parsed = await PythonEmail.ParseAsync(await new MimeDeliveryReportComposer("mta.test").ComposeAsync(report));
        Assert.Empty(parsed.GetProperty("defects").EnumerateArray());
        var status = parsed.GetProperty("parts").EnumerateArray().Single(p => p.GetProperty("content_type").GetString() == "message/delivery-status");
        return status.GetProperty("groups").EnumerateArray().Skip(1).ToDictionary(g => g.GetProperty("Final-Recipient").GetString()!);
    }

    [Fact]
    public async Task One_final_report_gives_failed_expired_and_relayed_recipients_each_their_action_status_and_diagnostic_type()
    {
        QueuedRecipient[] recipients =
        [
            Recipient(1, "bad@x.test", RecipientState.Failed, "550 5.1.1 no such user", "mx.x.test"),
            Recipient(2, "old@x.test", RecipientState.Expired, "451 4.4.7 message expired after 120 hours in the queue; last reply: 451 4.7.1 later", "mx.x.test"),
            Recipient(3, "ok@x.test", RecipientState.Relayed, "250 2.0.0 Ok: queued as 4711", "mx.x.test", DsnNotify.Success),
            // smtp-sink -E style: no enhanced code in the 250.
            Recipient(4, "plain@x.test", RecipientState.Relayed, "250 Ok", "mx2.x.test", DsnNotify.Success),
            Recipient(5, "lost@x.test", RecipientState.Failed, "554 5.3.0 local error after 5 attempts: IOException", remoteMta: null),
        ];

        var groups = await GroupsAsync(new DeliveryReport(DeliveryReportKind.Final, Original("Subject: x\r\n\r\nbody\r\n"u8.ToArray()), recipients, T0));

        string Field(string recipient, string name) => groups["rfc822; " + recipient].GetProperty(name).GetString()!;
        bool Has(string recipient, string name) => groups["rfc822; " + recipient].TryGetProperty(name, out _);
        Assert.Equal(("failed", "5.1.1", "dns; mx.x.test", "smtp; 550 5.1.1 no such user"),
            (Field("bad@x.test", "Action"), Field("bad@x.test", "Status"), Field("bad@x.test", "Remote-MTA"), Field("bad@x.test", "Diagnostic-Code")));
        // The expiry is this node's verdict: its own diagnostic type, the last remote still named.
        Assert.Equal(("failed", "4.4.7", "dns; mx.x.test"), (Field("old@x.test", "Action"), Field("old@x.test", "Status"), Field("old@x.test", "Remote-MTA")));
        Assert.StartsWith("X-MtaCluster; 451 4.4.7 message expired", Field("old@x.test", "Diagnostic-Code"));
        Assert.Equal(("relayed", "2.0.0", "dns; mx.x.test", "smtp; 250 2.0.0 Ok: queued as 4711", "rfc822; orig-ok@x.test"),
            (Field("ok@x.test", "Action"), Field("ok@x.test", "Status"), Field("ok@x.test", "Remote-MTA"), Field("ok@x.test", "Diagnostic-Code"), Field("ok@x.test", "Original-Recipient")));
        Assert.Equal(("relayed", "2.0.0", "smtp; 250 Ok"), (Field("plain@x.test", "Action"), Field("plain@x.test", "Status"), Field("plain@x.test", "Diagnostic-Code")));
        // No remote MTA replied: no Remote-MTA, and the words are not called an SMTP reply (RFC 3464 §2.3.5, §2.3.6).
        Assert.Equal(("failed", "5.3.0", "X-MtaCluster; 554 5.3.0 local error after 5 attempts: IOException"),
            (Field("lost@x.test", "Action"), Field("lost@x.test", "Status"), Field("lost@x.test", "Diagnostic-Code")));
        Assert.False(Has("lost@x.test", "Remote-MTA"));
    }

    [Fact]
    public async Task A_delay_on_our_own_words_has_no_remote_mta_and_no_smtp_diagnostic()
    {
        var refused = Recipient(1, "slow@x.test", RecipientState.Pending, "451 4.4.1 connect to 192.0.2.1:25: connection refused", remoteMta: null);
        var greylisted = Recipient(2, "grey@x.test", RecipientState.Pending, "451 4.7.1 greylisted", "mx.x.test");

        var groups = await GroupsAsync(new DeliveryReport(DeliveryReportKind.Delayed, Original("Subject: x\r\n\r\nbody\r\n"u8.ToArray()), [refused, greylisted], T0,
            new Dictionary<long, DateTimeOffset> { [1] = T0.AddDays(5), [2] = T0.AddDays(5) }));

        var local = groups["rfc822; slow@x.test"];
        Assert.Equal("delayed", local.GetProperty("Action").GetString());
        Assert.Equal("X-MtaCluster; 451 4.4.1 connect to 192.0.2.1:25: connection refused", local.GetProperty("Diagnostic-Code").GetString());
        Assert.False(local.TryGetProperty("Remote-MTA", out _));
        var remote = groups["rfc822; grey@x.test"];
        Assert.Equal("smtp; 451 4.7.1 greylisted", remote.GetProperty("Diagnostic-Code").GetString());
        Assert.Equal("dns; mx.x.test", remote.GetProperty("Remote-MTA").GetString());
    }

    private static StoredMessage OriginalWith(StoredBody body, DsnReturn ret) =>
        new("M1", "app@home.test", body, T0, MessageBodyType.SevenBit, false, ret, null, null, null);

    private static QueuedRecipient Deferred() =>
        new(2, "M1", "slow@y.test", "y.test", 0, null, DsnNotify.NotGiven, RecipientState.Pending, 3, T0.AddHours(1), T0, "451 4.7.1 try later", 0,
            LastAttemptAt: T0, RemoteMta: "mx.y.test");

    private static async Task<string> ComposeAsync(DeliveryReportKind kind, StoredMessage original, QueuedRecipient recipient, long? limit = null)
    {
        var composer = limit is { } l ? new MimeDeliveryReportComposer("mta.test", l) : new MimeDeliveryReportComposer("mta.test");
        return Encoding.UTF8.GetString(await composer.ComposeAsync(new DeliveryReport(kind, original, [recipient], T0)));
    }

    [Fact]
    public async Task A_header_only_report_of_a_35_MB_original_reads_the_body_no_further_than_its_header()
    {
        var body = new GeneratedBody("Subject: big\r\nFrom: app@home.test\r\n\r\n", 35L * 1024 * 1024);

        var dsn = await ComposeAsync(DeliveryReportKind.Final, OriginalWith(body, DsnReturn.NotGiven), Failed());

        Assert.Contains("Content-Type: text/rfc822-headers", dsn);
        Assert.Contains("Subject: big", dsn);
        Assert.InRange(body.Opened!.BytesRead, 1, 128 * 1024);
        Assert.True(body.Disposed, "the body stream was left open");
    }

    [Fact]
    public async Task A_delay_notice_returns_only_the_header_even_to_a_sender_who_asked_for_the_full_message()
    {
        var original = OriginalWith(StoredBody.FromBytes("Subject: later\r\n\r\nthe still undelivered body\r\n"u8.ToArray()), DsnReturn.Full);

        var dsn = await ComposeAsync(DeliveryReportKind.Delayed, original, Deferred());

        Assert.Contains("Action: delayed", dsn);
        Assert.Contains("Content-Type: text/rfc822-headers", dsn);
        Assert.Contains("Subject: later", dsn);
        Assert.DoesNotContain("message/rfc822", dsn);
        Assert.DoesNotContain("the still undelivered body", dsn);
    }

    [Fact]
    public async Task A_report_of_success_alone_returns_only_the_header_and_one_with_a_failure_the_whole_message()
    {
        var original = OriginalWith(StoredBody.FromBytes("Subject: sent\r\n\r\nthe delivered body\r\n"u8.ToArray()), DsnReturn.Full);
        var relayed = Recipient(1, "ok@x.test", RecipientState.Relayed, "250 2.0.0 ok", "mx.x.test", DsnNotify.Success);
        var failed = Recipient(2, "bad@x.test", RecipientState.Failed, "550 5.1.1 no such user", "mx.x.test");

        var success = Encoding.UTF8.GetString(await new MimeDeliveryReportComposer("mta.test").ComposeAsync(
            new DeliveryReport(DeliveryReportKind.Final, original, [relayed], T0)));
        Assert.Contains("Action: relayed", success);
        Assert.Contains("Content-Type: text/rfc822-headers", success);
        Assert.DoesNotContain("the delivered body", success);

        var mixed = Encoding.UTF8.GetString(await new MimeDeliveryReportComposer("mta.test").ComposeAsync(
            new DeliveryReport(DeliveryReportKind.Final, original, [relayed, failed], T0)));
        Assert.Contains("Content-Type: message/rfc822", mixed);
        Assert.Contains("the delivered body", mixed);
    }

    [Fact]
    public async Task Ret_full_returns_the_whole_original_up_to_the_limit()
    {
        var content = Encoding.ASCII.GetBytes("Subject: fits\r\n\r\n" + new string('b', 900) + "\r\n");
        var original = OriginalWith(StoredBody.FromBytes(content), DsnReturn.Full);

        var dsn = await ComposeAsync(DeliveryReportKind.Final, original, Failed(), limit: content.Length);

        Assert.Contains("Content-Type: message/rfc822", dsn);
        Assert.Contains(new string('b', 900), dsn);
        Assert.DoesNotContain("returned in full", dsn);
    }

    [Fact]
    public async Task Ret_full_above_the_limit_returns_the_header_and_the_text_says_why()
    {
        var content = Encoding.ASCII.GetBytes("Subject: too big\r\n\r\n" + new string('b', 5000) + "\r\n");
        var original = OriginalWith(StoredBody.FromBytes(content), DsnReturn.Full);

        var dsn = await ComposeAsync(DeliveryReportKind.Final, original, Failed(), limit: 1000);

        Assert.Contains("Content-Type: text/rfc822-headers", dsn);
        Assert.Contains("Subject: too big", dsn);
        Assert.DoesNotContain(new string('b', 100), dsn);
        Assert.Contains($"The message ({content.Length} octets) is larger than the 1000 octets returned in full: only its header is attached.", dsn);
    }

    [Fact]
    public async Task A_report_on_a_message_whose_body_is_gone_still_says_what_happened()
    {
        var dsn = await ComposeAsync(DeliveryReportKind.Final, OriginalWith(new GoneBody(), DsnReturn.Full), Failed());

        Assert.Contains("Final-Recipient: rfc822; bad@x.test", dsn);
        Assert.Contains("Status: 5.1.1", dsn);
    }

    /// <summary>A header and 35 MB of generated lines, counted as they are read, costing no memory.</summary>
    private sealed class GeneratedBody(string header, long bodyLength) : StoredBody
    {
        private readonly byte[] _header = Encoding.ASCII.GetBytes(header);

        public CountingStream? Opened { get; private set; }

        public bool Disposed { get; private set; }

        public override long Length => _header.Length + bodyLength;

        public override Task<Stream?> OpenReadAsync(CancellationToken cancellationToken = default)
        {
            Opened = new CountingStream(new GeneratedMessageStream(_header, bodyLength));
            return Task.FromResult<Stream?>(new DisposeWatch(Opened, () => Disposed = true));
        }
    }

    private sealed class GoneBody : StoredBody
    {
        public override long Length => 100;

        public override Task<Stream?> OpenReadAsync(CancellationToken cancellationToken = default) => Task.FromResult<Stream?>(null);
    }

    private sealed class DisposeWatch(Stream inner, Action disposed) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => inner.Position = value;
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) disposed();
            base.Dispose(disposing);
        }
    }
}
