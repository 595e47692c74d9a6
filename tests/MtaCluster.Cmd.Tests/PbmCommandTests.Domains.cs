using System.Text;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

// mta domain suspend|resume|flush|policy and mta queue purge against the node whose mail stays queued.
// Each test leaves the queue as it found it (small.test resumed, purge.test's own mail purged), so the
// class's other tests see the fixture's four recipients.
public sealed partial class PbmCommandTests
{
    [Fact]
    public async Task Domain_suspend_is_in_force_in_the_entity_shown_by_policy_and_lifted_by_resume()
    {
        var run = await PbmAsync(WithToken("mta", "domain", "suspend", "small.test", "--until", "2h", "--reason", "receiver asked for a pause"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"^Suspended delivery to small\.test until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: receiver asked for a pause", run.Output);
        Assert.Contains("this node (pbm-node)", run.Output);

        var shown = Json(await PbmAsync(WithToken("mta", "queue", "show", "small.test", "--json")));
        var suspension = shown.GetProperty("suspension");
        Assert.Equal("receiver asked for a pause", suspension.GetProperty("reason").GetString());
        var left = suspension.GetProperty("until").GetDateTimeOffset() - DateTimeOffset.UtcNow;
        Assert.InRange(left, TimeSpan.FromHours(1.5), TimeSpan.FromHours(2));

        // The entity answers after it has read the store (its mailbox is in order): it is suspended itself.
        var policy = await PbmAsync(WithToken("mta", "domain", "policy", "small.test"));
        Assert.True(policy.ExitCode == 0, policy.Error);
        Assert.Matches(@"(?m)^Policy\s+default \(default\)\s*$", policy.Output);
        Assert.Contains("no entry names small.test", policy.Output);
        Assert.Matches(@"(?m)^Suspended\s+since .*receiver asked for a pause\s*$", policy.Output);
        Assert.Matches(@"(?m)^Live on\s+pbm-node\s*$", policy.Output);
        var live = Json(await PbmAsync(WithToken("mta", "domain", "policy", "small.test", "--json")));
        Assert.Equal("default", live.GetProperty("policy").GetProperty("key").GetString());
        Assert.True(live.GetProperty("live").GetProperty("suspended").GetBoolean());

        var bad = await PbmAsync(WithToken("mta", "domain", "suspend", "small.test", "--until", "yesterday"));
        Assert.Equal(PbmApp.Failed, bad.ExitCode);
        Assert.Contains("until: 'yesterday' is neither", bad.Error);
        var past = await PbmAsync(WithToken("mta", "domain", "suspend", "small.test", "--until", "2001-01-01T00:00:00Z"));
        Assert.Equal(PbmApp.Failed, past.ExitCode);
        Assert.Contains("not in the future", past.Error);

        var resume = await PbmAsync(WithToken("mta", "domain", "resume", "small.test"));
        Assert.True(resume.ExitCode == 0, resume.Error);
        Assert.StartsWith("Resumed delivery to small.test", resume.Output);
        var again = Json(await PbmAsync(WithToken("mta", "domain", "resume", "small.test", "--json")));
        Assert.False(again.GetProperty("was_suspended").GetBoolean());
        Assert.Equal(JsonValueKind.Null, Json(await PbmAsync(WithToken("mta", "queue", "show", "small.test", "--json"))).GetProperty("suspension").ValueKind);
        Assert.False(Json(await PbmAsync(WithToken("mta", "domain", "policy", "small.test", "--json"))).GetProperty("live").GetProperty("suspended").GetBoolean());

        var json = Json(await PbmAsync(WithToken("mta", "domain", "suspend", "small.test", "--json")));
        Assert.True(json.GetProperty("suspended").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("suspended_until").ValueKind);
        Assert.True(Json(await PbmAsync(WithToken("mta", "domain", "resume", "small.test", "--json"))).GetProperty("was_suspended").GetBoolean());
    }

    [Fact]
    public async Task Domain_flush_makes_a_deferred_recipient_go_again_at_once()
    {
        var before = 0;
        await Poll.UntilAsync(async () => (before = await AttemptsOfAsync("c@small.test")) >= 1, TimeSpan.FromSeconds(60), "the fixture's mail to small.test tried once");

        var run = await PbmAsync(WithToken("mta", "domain", "flush", "small.test"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"^Flushed small\.test: 1 recipients due now \([01] were waiting for a retry\); any backoff is over\.", run.Output);
        // Its retry is minutes away: only the flush can bring the next attempt now.
        await Poll.UntilAsync(async () => await AttemptsOfAsync("c@small.test") > before, TimeSpan.FromSeconds(60), "c@small.test tried again after the flush");

        var json = Json(await PbmAsync(WithToken("mta", "domain", "flush", "small.test", "--json")));
        Assert.Equal("small.test", json.GetProperty("domain").GetString());
        Assert.Equal(1, json.GetProperty("recipients_due_now").GetInt64());
        Assert.False(json.GetProperty("suspended").GetBoolean());
    }

    [Fact]
    public async Task Queue_purge_without_confirm_exits_2_saying_how_many_and_with_it_deletes_them()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        await using (var client = await LineSmtpClient.ConnectAsync(node.SmtpPort, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            var content = Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: purge\r\n\r\nto be purged\r\n");
            await client.SendAsync("app@example.com", ["p1@purge.test", "p2@purge.test"], content, timeout.Token);
            await client.SendAsync("app@example.com", ["p3@purge.test"], content, timeout.Token);
        }

        var refused = await PbmAsync(WithToken("mta", "queue", "purge", "purge.test"));
        Assert.Equal(PbmApp.Usage, refused.ExitCode);
        Assert.Contains("would delete the 3 queued recipients of purge.test without a DSN; add --confirm", refused.Error);
        Assert.Equal(3, Json(await PbmAsync(WithToken("mta", "queue", "show", "purge.test", "--json"))).GetProperty("queued").GetInt64());

        var run = await PbmAsync(WithToken("mta", "queue", "purge", "purge.test", "--confirm"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.StartsWith("Purged purge.test: 3 queued recipients deleted without a DSN, 2 messages removed.", run.Output);
        Assert.Equal(0, Json(await PbmAsync(WithToken("mta", "queue", "show", "purge.test", "--json"))).GetProperty("queued").GetInt64());
        var summary = Json(await PbmAsync(WithToken("mta", "queue", "summary", "--json")));
        Assert.Equal(4, summary.GetProperty("recipients").GetProperty("pending").GetInt64());
        Assert.Equal(2, summary.GetProperty("messages").GetInt64());
        // Each deleted recipient's end is in the accounting log, as no DSN tells of it.
        await Poll.UntilAsync(() => Task.FromResult(node.RemovedRecordsOf("purge.test").Count == 3), TimeSpan.FromSeconds(30), "the purge's accounting records");
        Assert.Equal(["p1@purge.test", "p2@purge.test", "p3@purge.test"],
            node.RemovedRecordsOf("purge.test").Select(r => r.GetProperty("recipient").GetString()).Order(StringComparer.Ordinal));
        Assert.All(node.RemovedRecordsOf("purge.test"), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("reply").ValueKind));

        var json = Json(await PbmAsync(WithToken("mta", "queue", "purge", "purge.test", "--confirm", "--json")));
        Assert.Equal(0, json.GetProperty("purged_recipients").GetInt32());
        Assert.Equal(0, json.GetProperty("removed_messages").GetInt32());
        Assert.Equal(PbmApp.Usage, (await PbmAsync(WithToken("mta", "queue", "purge"))).ExitCode);
    }

    private async Task<int> AttemptsOfAsync(string address)
    {
        var message = Json(await PbmAsync(WithToken("mta", "message", "show", node.MessageId, "--json")));
        return message.GetProperty("recipients").EnumerateArray().Single(r => r.GetProperty("address").GetString() == address).GetProperty("attempts").GetInt32();
    }
}
