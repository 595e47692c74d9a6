using MtaCluster.Testing;
using System.Text;
using System.Text.Json;
using MtaCluster.Mail;

namespace MtaCluster.Mime.Tests;

/// <summary>Every DSN is judged by Python's email package, field by field.</summary>
public class DeliveryStatusNotificationTests
{
    private static readonly DateTimeOffset Arrival = new(2026, 12, 1, 8, 30, 0, TimeSpan.FromHours(8));
    private static readonly DateTimeOffset Attempt = new(2026, 12, 1, 9, 15, 5, TimeSpan.Zero);

    private static byte[] Original(string subjectField, string body = "Hello,\r\nthis is the body.\r\n", string extra = "") =>
        Encoding.UTF8.GetBytes($"From: Sender <sender@origin.test>\r\nTo: many@dest.test\r\nSubject: {subjectField}\r\n{extra}"
            + $"Message-ID: <orig-1@origin.test>\r\n\r\n{body}");

    private static async Task<(byte[] Raw, JsonElement Parsed)> BuildAsync(DeliveryStatusNotification dsn, byte[] original)
    {
        var output = new MemoryStream();
        await dsn.WriteToAsync(new MemoryStream(original), output);
        byte[] raw = output.ToArray();
        AssertWireSafe(raw);
        JsonElement parsed = await PythonEmail.ParseAsync(raw);
        Assert.Empty(parsed.GetProperty("defects").EnumerateArray());
        foreach (JsonElement part in parsed.GetProperty("parts").EnumerateArray())
        {
            Assert.Empty(part.GetProperty("defects").EnumerateArray());
        }

        return (raw, parsed);
    }

    /// <summary>RFC 5322 §2.1 and §2.1.1: CRLF only, no line over 998 octets.</summary>
    private static void AssertWireSafe(byte[] raw)
    {
        int lineStart = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n')
            {
                Assert.True(i > 0 && raw[i - 1] == '\r', $"bare LF at {i}");
                Assert.True(i - 1 - lineStart <= 998, $"line at {lineStart} is {i - 1 - lineStart} octets");
                lineStart = i + 1;
            }
            else if (raw[i] == '\r')
            {
                Assert.True(i + 1 < raw.Length && raw[i + 1] == '\n', $"bare CR at {i}");
            }
        }
    }

    private static string Field(JsonElement fields, string name) => fields.GetProperty(name).GetString()!;

    private static JsonElement Part(JsonElement parsed, int index) => parsed.GetProperty("parts")[index];

    [Fact]
    public async Task Ten_failed_recipients_make_one_report_with_every_field_and_the_gb2312_subject_decoded()
    {
        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test")
        {
            EnvelopeId = "QQ314159",
            ArrivalDate = Arrival,
            Date = Attempt,
        };
        for (int i = 0; i < 10; i++)
        {
            dsn.Recipients.Add(new DsnRecipient
            {
                OriginalRecipient = $"User{i}@dest.test",
                FinalRecipient = $"user{i}@dest.test",
                Action = DsnAction.Failed,
                Status = new EnhancedStatusCode(5, 1, 1),
                RemoteMta = "mx.dest.test",
                DiagnosticCode = $"550 5.1.1 <user{i}@dest.test>: Recipient address rejected",
                LastAttemptDate = Attempt,
            });
        }

        (byte[] raw, JsonElement parsed) = await BuildAsync(dsn, Original("=?gb2312?B?1tDOxNPKvP6y4srU?="));

        Assert.Equal("multipart/report", parsed.GetProperty("content_type").GetString());
        Assert.Equal("delivery-status", parsed.GetProperty("report_type").GetString());
        JsonElement headers = parsed.GetProperty("headers");
        Assert.Equal("Mail Delivery System <MAILER-DAEMON@mx1.example.test>", Field(headers, "From"));
        Assert.Equal("sender@origin.test", Field(headers, "To"));
        Assert.Equal("Undelivered Mail Returned to Sender", Field(headers, "Subject"));
        Assert.Equal("auto-replied", Field(headers, "Auto-Submitted"));
        Assert.Equal("1.0", Field(headers, "MIME-Version"));
        Assert.Equal(Attempt.ToString("O"), DateTimeOffset.Parse(Field(headers, "Date/parsed")).ToString("O"));
        Assert.Matches("^<[0-9a-f]{32}@mx1.example.test>$", Field(headers, "Message-ID"));
        Assert.Equal(3, parsed.GetProperty("parts").GetArrayLength());

        JsonElement text = Part(parsed, 0);
        Assert.Equal("text/plain", text.GetProperty("content_type").GetString());
        Assert.Equal("quoted-printable", text.GetProperty("cte").GetString());
        string words = text.GetProperty("text").GetString()!;
        Assert.Contains("Subject: 中文邮件测试", words);
        for (int i = 0; i < 10; i++)
        {
            Assert.Contains($"<user{i}@dest.test>: delivery failed (5.1.1)", words);
            Assert.Contains($"mx.dest.test said: 550 5.1.1 <user{i}@dest.test>: Recipient address rejected", words);
        }

        JsonElement status = Part(parsed, 1);
        Assert.Equal("message/delivery-status", status.GetProperty("content_type").GetString());
        JsonElement groups = status.GetProperty("groups");
        Assert.Equal(11, groups.GetArrayLength());
        Assert.Equal("dns; mx1.example.test", Field(groups[0], "Reporting-MTA"));
        Assert.Equal("QQ314159", Field(groups[0], "Original-Envelope-Id"));
        Assert.Equal(Arrival, DateTimeOffset.Parse(Field(groups[0], "Arrival-Date/parsed")));
        for (int i = 0; i < 10; i++)
        {
            JsonElement group = groups[i + 1];
            Assert.Equal($"rfc822; User{i}@dest.test", Field(group, "Original-Recipient"));
            Assert.Equal($"rfc822; user{i}@dest.test", Field(group, "Final-Recipient"));
            Assert.Equal("failed", Field(group, "Action"));
            Assert.Equal("5.1.1", Field(group, "Status"));
            Assert.Equal("dns; mx.dest.test", Field(group, "Remote-MTA"));
            Assert.Equal($"smtp; 550 5.1.1 <user{i}@dest.test>: Recipient address rejected", Field(group, "Diagnostic-Code"));
            Assert.Equal(Attempt, DateTimeOffset.Parse(Field(group, "Last-Attempt-Date/parsed")));
            Assert.False(group.TryGetProperty("Will-Retry-Until", out _));
        }

        JsonElement returned = Part(parsed, 2);
        Assert.Equal("text/rfc822-headers", returned.GetProperty("content_type").GetString());
        string returnedHeaders = returned.GetProperty("text").GetString()!;
        Assert.Contains("Subject: =?gb2312?B?1tDOxNPKvP6y4srU?=", returnedHeaders);
        Assert.Contains("Message-ID: <orig-1@origin.test>", returnedHeaders);
        Assert.DoesNotContain("this is the body", returnedHeaders);
        Assert.DoesNotContain("this is the body", Encoding.UTF8.GetString(raw));
    }

    [Fact]
    public async Task A_delay_notice_says_until_when_it_is_retried_and_shows_the_big5_subject()
    {
        DateTimeOffset until = Arrival.AddDays(5);
        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test") { ArrivalDate = Arrival, Date = Attempt };
        dsn.Recipients.Add(new DsnRecipient
        {
            FinalRecipient = "slow@dest.test",
            Action = DsnAction.Delayed,
            Status = new EnhancedStatusCode(4, 2, 0),
            RemoteMta = "mx.dest.test",
            DiagnosticCode = "451-4.2.0 try again\r\n451 4.2.0 later",
            LastAttemptDate = Attempt,
            WillRetryUntil = until,
        });

        (_, JsonElement parsed) = await BuildAsync(dsn, Original("=?big5?B?pKSk5bZspfO0+rjV?="));

        Assert.Equal("Delayed Mail (still being retried)", Field(parsed.GetProperty("headers"), "Subject"));
        string words = Part(parsed, 0).GetProperty("text").GetString()!;
        Assert.Contains("Subject: 中文郵件測試", words);
        Assert.Contains("<slow@dest.test>: delivery delayed (4.2.0)", words);
        Assert.Contains("still being retried", words);
        JsonElement group = Part(parsed, 1).GetProperty("groups")[1];
        Assert.Equal("delayed", Field(group, "Action"));
        Assert.Equal("4.2.0", Field(group, "Status"));
        Assert.Equal("smtp; 451-4.2.0 try again 451 4.2.0 later", Field(group, "Diagnostic-Code"));
        Assert.Equal(until, DateTimeOffset.Parse(Field(group, "Will-Retry-Until/parsed")));
        Assert.False(group.TryGetProperty("Original-Recipient", out _));
    }

    [Fact]
    public async Task Ret_full_returns_the_whole_original_as_message_rfc822_with_bare_lfs_made_crlf()
    {
        var body = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            body.Append("line ").Append(i).Append(i % 2 == 0 ? "\r\n" : "\n");
        }

        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test") { Return = DsnReturn.Full };
        dsn.Recipients.Add(new DsnRecipient
        {
            FinalRecipient = "gone@dest.test",
            Action = DsnAction.Failed,
            Status = new EnhancedStatusCode(5, 1, 1),
            DiagnosticCode = "550 5.1.1 gone",
        });

        (_, JsonElement parsed) = await BuildAsync(dsn, Original("plain subject", body.ToString()));

        JsonElement returned = Part(parsed, 2);
        Assert.Equal("message/rfc822", returned.GetProperty("content_type").GetString());
        Assert.Equal("7bit", returned.GetProperty("cte").GetString());
        Assert.Equal("plain subject", Field(returned.GetProperty("inner_headers"), "Subject"));
        Assert.Equal(body.ToString().Replace("\r\n", "\n").Replace("\n", "\r\n"), returned.GetProperty("inner_body").GetString());
        Assert.Equal("7bit", Part(parsed, 0).GetProperty("cte").GetString());
        Assert.Contains("Reply: 550 5.1.1 gone", Part(parsed, 0).GetProperty("text").GetString());
    }

    [Fact]
    public async Task An_smtputf8_original_gets_the_global_forms_with_utf8_addresses()
    {
        var dsn = new DeliveryStatusNotification("mx1.example.test", "发件人@来源.测试") { Utf8 = true, Return = DsnReturn.Full };
        dsn.Recipients.Add(new DsnRecipient
        {
            OriginalRecipient = "用户@例子.测试",
            OriginalRecipientType = "utf-8",
            FinalRecipient = "用户@例子.测试",
            Action = DsnAction.Failed,
            Status = new EnhancedStatusCode(5, 1, 1),
            DiagnosticCode = "550 5.1.1 没有这个用户",
        });

        (_, JsonElement parsed) = await BuildAsync(dsn, Original("中文 UTF-8 主题", "正文\r\n"));

        Assert.Equal("发件人@来源.测试", Field(parsed.GetProperty("headers"), "To"));
        // RFC 6522 §3: report-type names the second part's subtype.
        Assert.Equal("global-delivery-status", parsed.GetProperty("report_type").GetString());
        JsonElement text = Part(parsed, 0);
        Assert.Equal("8bit", text.GetProperty("cte").GetString());
        Assert.Contains("Subject: 中文 UTF-8 主题", text.GetProperty("text").GetString());
        JsonElement status = Part(parsed, 1);
        Assert.Equal("message/global-delivery-status", status.GetProperty("content_type").GetString());
        JsonElement group = status.GetProperty("groups")[1];
        Assert.Equal("utf-8; 用户@例子.测试", Field(group, "Original-Recipient"));
        Assert.Equal("utf-8; 用户@例子.测试", Field(group, "Final-Recipient"));
        Assert.Equal("smtp; 550 5.1.1 没有这个用户", Field(group, "Diagnostic-Code"));
        JsonElement returned = Part(parsed, 2);
        Assert.Equal("message/global", returned.GetProperty("content_type").GetString());
        Assert.Equal("8bit", returned.GetProperty("cte").GetString());
        Assert.Equal("中文 UTF-8 主题", Field(returned.GetProperty("inner_headers"), "Subject"));
        Assert.Equal("正文\r\n", returned.GetProperty("inner_body").GetString());
    }

    [Fact]
    public async Task An_smtputf8_original_with_headers_only_is_returned_as_message_global_headers()
    {
        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test") { Utf8 = true };
        dsn.Recipients.Add(new DsnRecipient { FinalRecipient = "a@dest.test", Action = DsnAction.Failed, Status = new EnhancedStatusCode(5, 0, 0) });

        (_, JsonElement parsed) = await BuildAsync(dsn, Original("主题"));

        Assert.Equal("message/global-headers", Part(parsed, 2).GetProperty("content_type").GetString());
        Assert.Equal("主题", Field(Part(parsed, 2).GetProperty("inner_headers"), "Subject"));
        Assert.Equal("<orig-1@origin.test>", Field(Part(parsed, 2).GetProperty("inner_headers"), "Message-ID"));
    }

    [Fact]
    public async Task A_non_ascii_orcpt_in_a_plain_report_is_utf8_addr_xtext_so_the_part_stays_ascii()
    {
        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test");
        dsn.Recipients.Add(new DsnRecipient
        {
            OriginalRecipient = "josé@dest.test",
            OriginalRecipientType = "utf-8",
            FinalRecipient = "jose@dest.test",
            Action = DsnAction.Failed,
            Status = new EnhancedStatusCode(5, 1, 1),
        });

        (byte[] raw, JsonElement parsed) = await BuildAsync(dsn, Original("x"));

        Assert.Equal("utf-8; jos\\x{E9}@dest.test", Field(Part(parsed, 1).GetProperty("groups")[1], "Original-Recipient"));
        Assert.All(raw, b => Assert.True(b < 0x80));
    }

    [Fact]
    public async Task A_success_report_for_a_relayed_recipient()
    {
        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test");
        dsn.Recipients.Add(new DsnRecipient
        {
            FinalRecipient = "ok@dest.test",
            Action = DsnAction.Relayed,
            Status = new EnhancedStatusCode(2, 0, 0),
            RemoteMta = "mx.dest.test",
            DiagnosticCode = "250 2.0.0 queued as ABC",
        });

        (byte[] raw, JsonElement parsed) = await BuildAsync(dsn, Original("=?utf-8?Q?caf=C3=A9?="));

        Assert.Equal("Successful Mail Delivery Report", Field(parsed.GetProperty("headers"), "Subject"));
        // The original was delivered: its header is not called undelivered.
        Assert.Contains("\r\nContent-Description: Message Headers\r\n", Encoding.ASCII.GetString(raw));
        Assert.Equal("relayed", Field(Part(parsed, 1).GetProperty("groups")[1], "Action"));
        Assert.Contains("Subject: café", Part(parsed, 0).GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_diagnostic_of_the_reporting_mtas_own_words_has_its_own_type_and_a_mixed_report_is_about_its_failure()
    {
        var dsn = new DeliveryStatusNotification("mx1.example.test", "sender@origin.test");
        dsn.Recipients.Add(new DsnRecipient
        {
            FinalRecipient = "ok@dest.test",
            Action = DsnAction.Relayed,
            Status = new EnhancedStatusCode(2, 0, 0),
            RemoteMta = "mx.dest.test",
            DiagnosticCode = "250 2.0.0 queued as ABC",
        });
        dsn.Recipients.Add(new DsnRecipient
        {
            FinalRecipient = "gone@dest.test",
            Action = DsnAction.Failed,
            Status = new EnhancedStatusCode(5, 4, 4),
            DiagnosticCode = "554 5.4.4 no address to connect to",
            DiagnosticType = "X-Test",
        });

        (_, JsonElement parsed) = await BuildAsync(dsn, Original("mixed"));

        Assert.Equal("Undelivered Mail Returned to Sender", Field(parsed.GetProperty("headers"), "Subject"));
        JsonElement groups = Part(parsed, 1).GetProperty("groups");
        Assert.Equal("smtp; 250 2.0.0 queued as ABC", Field(groups[1], "Diagnostic-Code"));
        Assert.Equal("X-Test; 554 5.4.4 no address to connect to", Field(groups[2], "Diagnostic-Code"));
        Assert.False(groups[2].TryGetProperty("Remote-MTA", out _));
        string text = Part(parsed, 0).GetProperty("text").GetString()!;
        Assert.Contains("<ok@dest.test>: relayed to a server that does not send delivery reports (2.0.0)", text);
        Assert.Contains("<gone@dest.test>: delivery failed (5.4.4)", text);
    }

    [Fact]
    public async Task A_35_MB_original_with_headers_only_is_read_no_further_than_its_header()
    {
        const string header = "Subject: big\r\nFrom: a@origin.test\r\n\r\n";
        var original = new CountingStream(new GeneratedMessageStream(Encoding.ASCII.GetBytes(header), 35L * 1024 * 1024));
        var dsn = new DeliveryStatusNotification("mx1.example.test", "a@origin.test");
        dsn.Recipients.Add(new DsnRecipient { FinalRecipient = "b@dest.test", Action = DsnAction.Failed, Status = new EnhancedStatusCode(5, 1, 1) });
        var output = new MemoryStream();

        await dsn.WriteToAsync(original, output);

        Assert.InRange(original.BytesRead, header.Length, 128 * 1024);
        Assert.InRange(output.Length, 1, 16 * 1024);
    }

    [Fact]
    public async Task A_35_MB_original_returned_in_full_streams_through_and_is_never_one_string_or_array()
    {
        const string header = "Subject: big\r\nFrom: a@origin.test\r\n\r\n";
        const long bodyLength = 35L * 1024 * 1024;
        var original = new CountingStream(new GeneratedMessageStream(Encoding.ASCII.GetBytes(header), bodyLength));
        var dsn = new DeliveryStatusNotification("mx1.example.test", "a@origin.test") { Return = DsnReturn.Full };
        dsn.Recipients.Add(new DsnRecipient { FinalRecipient = "b@dest.test", Action = DsnAction.Failed, Status = new EnhancedStatusCode(5, 1, 1) });
        var output = new CountingSink();

        // Every thread's allocations count (the pipe may read on another): other tests running meanwhile can
        // only add to it, and the bound is still far below one copy of the original (35 MB as bytes, 70 as a string).
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await dsn.WriteToAsync(original, output);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(header.Length + bodyLength, original.BytesRead);
        Assert.InRange(output.Written, bodyLength, bodyLength + 64 * 1024);
        Assert.InRange(allocated, 0, 12L * 1024 * 1024);
    }

    /// <summary>A stream that keeps nothing but the count of what was written to it.</summary>
    private sealed class CountingSink : Stream
    {
        public long Written { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => Written;

        public override long Position
        {
            get => Written;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Written += count;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
