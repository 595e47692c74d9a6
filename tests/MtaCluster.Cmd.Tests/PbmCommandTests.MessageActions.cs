using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

/// <summary>
/// mta message bounce|retry|delete and mta events tail against the queued node, with messages of their
/// own (sent from home.test, whose DSNs reach the fixture's sink), each leaving the queue as it found it.
/// </summary>
public sealed partial class PbmCommandTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Events_tail_streams_records_as_they_happen_filters_them_and_a_bounce_sends_one_failure_DSN()
    {
        var all = new LiveWriter();
        var allErrors = new LiveWriter();
        using var stopAll = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var unfiltered = new PbmApp(new StringReader(""), all, allErrors, _ => null, node.Directory)
            .RunAsync(WithToken("mta", "events", "tail", "--json"), stopAll.Token);
        await using var filtered = TailProcess.Start(node.Directory, WithToken("mta", "events", "tail", "--domain", "TAIL.test", "--type", "bounced"));
        await Poll.UntilAsync(() => allErrors.Text.Contains("tailing events from") && filtered.Error.Contains("tailing events from"), Patience, "both tails subscribed");

        var id = await SendAsync("tail", "a@tail.test", "b@tail.test", "c@other.test");
        // Each recipient's deferral (the route is dead) reaches the tail as it is recorded.
        await Poll.UntilAsync(() => Records(all).Count(r => Is(r, "deferred", id)) == 3, Patience, "three deferrals on the tail");
        // Each one's acceptance came first, with the client that submitted it.
        var received = Records(all).Where(r => Is(r, "received", id)).ToList();
        Assert.Equal(3, received.Count);
        Assert.All(received, r => Assert.Equal(("ops@home.test", "127.0.0.1"), (r.GetProperty("sender").GetString(), r.GetProperty("client_ip").GetString())));
        // The log keeps them only when told to (Accounting:RecordReceived); its deferrals show it has been written.
        await Poll.UntilAsync(() => Task.FromResult(node.AccountingRecords().Count(r => Is(r, "deferred", id)) == 3), Patience, "the deferrals in the log");
        Assert.DoesNotContain(node.AccountingRecords(), r => r.GetProperty("type").GetString() == "received");

        var bounce = await PbmAsync(WithToken("mta", "message", "bounce", id));
        Assert.True(bounce.ExitCode == 0, bounce.Error);
        Assert.Contains($"{id}: 3 recipients bounced (554 5.0.0 bounced by the operator)", bounce.Output);

        await Poll.UntilAsync(() => Records(all).Count(r => Is(r, "bounced", id)) == 3, Patience, "three bounces on the tail");
        var bounced = Records(all).Where(r => Is(r, "bounced", id)).ToList();
        Assert.All(bounced, r => Assert.Equal("bounced by the operator", r.GetProperty("reply").GetProperty("text").GetString()));
        Assert.All(bounced, r => Assert.Equal("5.0.0", r.GetProperty("reply").GetProperty("enhanced").GetString()));

        // The filtered tail saw tail.test's two bounces and nothing else (not its deferrals, not other.test).
        await Poll.UntilAsync(() => filtered.Lines.Length >= 2, Patience, "two lines on the filtered tail");
        filtered.Interrupt();
        Assert.Equal(0, await filtered.WaitForExitAsync());
        Assert.Equal(2, filtered.Lines.Length);
        Assert.All(filtered.Lines, line => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  bounced    [ab]@tail\.test  tail\.test  554 5\.0\.0 bounced by the operator$", line));

        // One DSN to the sender, reporting all three; the message and the DSN then leave the spool.
        await Poll.UntilAsync(() => DsnsOf("tail").Length > 0, Patience, "the DSN at home.test");
        await Poll.UntilAsync(async () => (await GetAsync("/api/queue")).GetProperty("messages").GetInt64() == 2, Patience, "the bounced message and its DSN gone");
        var dsn = Assert.Single(DsnsOf("tail"));
        Assert.Contains("report-type=delivery-status", dsn);
        foreach (var rcpt in new[] { "a@tail.test", "b@tail.test", "c@other.test" }) Assert.Contains($"Final-Recipient: rfc822; {rcpt}", dsn);
        Assert.Equal(3, CountOf(dsn, "Action: failed"));
        Assert.Equal(3, CountOf(dsn, "Status: 5.0.0"));

        await stopAll.CancelAsync();
        Assert.Equal(0, await unfiltered);
    }

    [Fact]
    public async Task Message_retry_makes_the_pending_recipients_due_now_delete_removes_the_message_and_an_unknown_id_exits_1()
    {
        var id = await SendAsync("retry", "r@hold.test", "s@hold.test");
        await Poll.UntilAsync(async () => (await AttemptsAsync(id)).All(a => a == 1), Patience, "the first deferrals");

        var retry = await PbmAsync(WithToken("mta", "message", "retry", id));
        Assert.True(retry.ExitCode == 0, retry.Error);
        Assert.Contains($"{id}: 2 recipients due now, their domains woken", retry.Output);
        // Woken at once, not at the next retry minutes away: the second attempts are made.
        await Poll.UntilAsync(async () => (await AttemptsAsync(id)).All(a => a == 2), Patience, "the second attempts");
        var retried = Json(await PbmAsync(WithToken("mta", "message", "retry", id, "--json")));
        Assert.Equal((id, 2), (retried.GetProperty("id").GetString(), retried.GetProperty("recipients_due_now").GetInt32()));

        var delete = await PbmAsync(WithToken("mta", "message", "delete", id));
        Assert.True(delete.ExitCode == 0, delete.Error);
        Assert.Contains($"{id}: removed from the spool with its 2 recipients, no DSN sent", delete.Output);
        Assert.Equal(PbmApp.Failed, (await PbmAsync(WithToken("mta", "message", "show", id))).ExitCode);
        // No DSN tells of their end: the accounting log does, a removed record each, after their attempts
        // (two, or three if the second retry's went first).
        await Poll.UntilAsync(() => Task.FromResult(node.RemovedRecordsOf("hold.test").Count(r => r.GetProperty("message_id").GetString() == id) == 2),
            Patience, "the delete's accounting records");
        Assert.All(node.RemovedRecordsOf("hold.test").Where(r => r.GetProperty("message_id").GetString() == id), r =>
        {
            Assert.Equal("ops@home.test", r.GetProperty("sender").GetString());
            Assert.InRange(r.GetProperty("attempt").GetInt32(), 2, 3);
        });
        var other = await SendAsync("delete", "t@hold.test");
        var deleted = Json(await PbmAsync(WithToken("mta", "message", "delete", other, "--json")));
        Assert.Equal((other, 1), (deleted.GetProperty("id").GetString(), deleted.GetProperty("removed_recipients").GetInt32()));
        var third = await SendAsync("bounce-json", "u@hold.test");
        var bounced = Json(await PbmAsync(WithToken("mta", "message", "bounce", third, "--json")));
        Assert.Equal((third, 1), (bounced.GetProperty("id").GetString(), bounced.GetProperty("bounced_recipients").GetInt32()));
        await Poll.UntilAsync(() => DsnsOf("bounce-json").Length > 0, Patience, "the JSON bounce's DSN");
        await Poll.UntilAsync(async () => (await GetAsync("/api/queue")).GetProperty("messages").GetInt64() == 2, Patience, "the queue as it was");
        Assert.Empty(DsnsOf("retry").Concat(DsnsOf("delete")));

        foreach (var action in new[] { "bounce", "retry", "delete" })
        {
            foreach (var json in new[] { false, true })
            {
                var missing = await PbmAsync(WithToken(json ? ["mta", "message", action, id, "--json"] : ["mta", "message", action, id]));
                Assert.Equal(PbmApp.Failed, missing.ExitCode);
                Assert.Equal("", missing.Output);
                Assert.Contains($"error: no message {id} in the spool (never queued, or finished and removed) (404 from {node.Endpoint})", missing.Error);
            }
        }
        Assert.Equal(PbmApp.Usage, (await PbmAsync(WithToken("mta", "events", "tail", "--type", "sent"))).ExitCode);
    }

    /// <summary>Sends a message from ops@home.test whose subject carries <paramref name="tag"/> (its DSN quotes it); returns its queue id.</summary>
    private async Task<string> SendAsync(string tag, params string[] recipients)
    {
        using var timeout = new CancellationTokenSource(Patience);
        await using var client = await LineSmtpClient.ConnectAsync(node.SmtpPort, timeout.Token);
        await client.CommandAsync("EHLO ops.home.test", timeout.Token);
        var content = Encoding.ASCII.GetBytes($"From: <ops@home.test>\r\nSubject: operator action {tag}\r\n\r\nfor pbm\r\n");
        var reply = await client.SendAsync("ops@home.test", recipients, content, timeout.Token);
        Assert.StartsWith("250", reply);
        return reply[(reply.LastIndexOf(' ') + 1)..].Trim();
    }

    /// <summary>The DSNs home.test received for the messages sent with <paramref name="tag"/>.</summary>
    private string[] DsnsOf(string tag) =>
        Directory.GetFiles(node.HomeSink.DumpDirectory!).Select(File.ReadAllText)
            .Where(t => System.Text.RegularExpressions.Regex.IsMatch(t, $@"(?m)^Subject: operator action {tag}\r?$")).ToArray();

    private async Task<JsonElement> GetAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{node.Endpoint}"), Timeout = Patience };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.Token);
        return JsonDocument.Parse(await http.GetStringAsync(path)).RootElement;
    }

    private async Task<int[]> AttemptsAsync(string id) =>
        (await GetAsync($"/api/messages/{id}")).GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("attempts").GetInt32()).ToArray();

    private static List<JsonElement> Records(LiveWriter writer) =>
        writer.Lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();

    private static bool Is(JsonElement record, string type, string id) =>
        record.GetProperty("type").GetString() == type && record.GetProperty("message_id").GetString() == id;

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>Output that a test reads while pbm is still writing it.</summary>
    private sealed class LiveWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_text) _text.Append(value);
        }

        public override void Write(string? value)
        {
            lock (_text) _text.Append(value);
        }

        public string Text
        {
            get
            {
                lock (_text) return _text.ToString();
            }
        }

        /// <summary>Complete lines only: one being written has no newline yet.</summary>
        public string[] Lines
        {
            get
            {
                var text = Text;
                var end = text.LastIndexOf('\n');
                return end < 0 ? [] : text[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
        }
    }

    /// <summary>The built pbm running a command that lasts, ended the way an operator ends it (SIGINT, as Ctrl-C sends).</summary>
    private sealed class TailProcess : IAsyncDisposable
    {
        private const int SigInt = 2;
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly StringBuilder _error = new();

        private TailProcess(Process process) => _process = process;

        public string[] Lines => [.. _lines];

        public string Error
        {
            get
            {
                lock (_error) return _error.ToString();
            }
        }

        public static TailProcess Start(string directory, string[] args)
        {
            var tail = new TailProcess(Process.Start(StartInfo(directory, args))!);
            tail._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { Length: > 0 } line) tail._lines.Enqueue(line);
            };
            tail._process.ErrorDataReceived += (_, e) =>
            {
                lock (tail._error) tail._error.AppendLine(e.Data);
            };
            tail._process.BeginOutputReadLine();
            tail._process.BeginErrorReadLine();
            return tail;
        }

        public void Interrupt()
        {
            if (kill(_process.Id, SigInt) != 0) throw new InvalidOperationException($"kill -INT {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        }

        public async Task<int> WaitForExitAsync()
        {
            using var timeout = new CancellationTokenSource(Patience);
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int signal);
    }
}
