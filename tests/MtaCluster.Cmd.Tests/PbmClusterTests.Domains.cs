using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

// mta domain on a cluster: every command given to the node that does NOT own the domain, so what it
// writes reaches the owner through the store alone.
public sealed partial class PbmClusterTests
{
    /// <summary>
    /// A receiver that refuses the first RCPT of each domain in <paramref name="refuseFirst"/> with a
    /// 4xx (no backoff pattern: the mail is merely deferred) and accepts every other, counting both.
    /// </summary>
    private sealed class CountingReceiver(params string[] refuseFirst)
    {
        private readonly Dictionary<string, (int Refused, int Accepted)> _counts = new(StringComparer.Ordinal);

        public SmtpDialogue Dialogue => new() { OnCommand = OnCommand };

        public (int Refused, int Accepted) Of(string domain)
        {
            lock (_counts) return _counts.GetValueOrDefault(domain);
        }

        private string? OnCommand(string line)
        {
            if (!line.StartsWith("RCPT TO:<", StringComparison.OrdinalIgnoreCase)) return null;
            var domain = line[(line.IndexOf('@') + 1)..line.IndexOf('>')].ToLowerInvariant();
            lock (_counts)
            {
                var (refused, accepted) = _counts.GetValueOrDefault(domain);
                if (refuseFirst.Contains(domain) && refused == 0)
                {
                    _counts[domain] = (1, accepted);
                    return "451 4.3.0 Mailbox not ready yet\r\n";
                }
                _counts[domain] = (refused, accepted + 1);
                return "250 2.1.5 Ok\r\n";
            }
        }
    }

    [Fact]
    public async Task A_domain_suspended_flushed_and_resumed_through_the_node_that_does_not_own_it_follows_on_its_owner()
    {
        var receiver = new CountingReceiver("held.test", "flush.test");
        await using var peer = new ScriptedPeer(receiver.Dialogue);
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), peer.EndPoint.Port);
        var (admin1, smtp1) = await StartAsync("n1", domains);
        var (admin2, _) = await StartAsync("n2", domains);
        await Poll.UntilAsync(async () =>
        {
            var (code, output, _) = await PbmAsync(admin1, "cluster", "show", "--json");
            if (code != 0) return false;
            var shards = JsonDocument.Parse(output).RootElement.GetProperty("nodes").EnumerateArray()
                .Where(n => n.GetProperty("state").GetString() == "up").Select(n => n.GetProperty("shards").GetInt32()).ToList();
            // Balanced, so no shard moves while the test runs.
            return shards.Count == 2 && shards.Sum() == Shards && Math.Abs(shards[0] - shards[1]) <= 1;
        }, TimeSpan.FromSeconds(90), "two nodes up sharing every shard evenly");

        var database = Regex.Match(_connectionString, "Database=([^;]+)").Groups[1].Value;
        async Task<string> NotOwnerOfAsync(string domain)
        {
            var (code, output, error) = await PbmAsync(admin1, "mta", "queue", "show", domain, "--json");
            Assert.True(code == 0, error);
            var shard = JsonDocument.Parse(output).RootElement.GetProperty("shard").GetInt32();
            var owner = (await _postgres.PsqlAsync(database, $"SELECT owner FROM shard_leases WHERE shard = {shard}")).Trim();
            Assert.True(owner is "n1" or "n2", $"shard {shard} of {domain} is owned by '{owner}'");
            return owner == "n1" ? admin2 : admin1;
        }

        async Task SendAsync(params string[] recipients)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using var client = await LineSmtpClient.ConnectAsync(smtp1, timeout.Token);
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            await client.SendAsync("app@example.com", recipients, Encoding.ASCII.GetBytes("From: <app@example.com>\r\nSubject: control\r\n\r\nsteered\r\n"), timeout.Token);
        }

        async Task<long> QueuedAsync(string admin, string domain)
        {
            var (code, output, error) = await PbmAsync(admin, "mta", "queue", "show", domain, "--json");
            Assert.True(code == 0, error);
            return JsonDocument.Parse(output).RootElement.GetProperty("queued").GetInt64();
        }

        // held.test's mail is refused once: deferred, its retry minutes away.
        var held = await NotOwnerOfAsync("held.test");
        await SendAsync("h@held.test");
        await Poll.UntilAsync(() => Task.FromResult(receiver.Of("held.test").Refused == 1), TimeSpan.FromSeconds(60), "held.test's first attempt refused");
        // Recorded, not only refused on the wire: a flush before the deferral is written would be undone by it.
        await Poll.UntilAsync(async () =>
        {
            var (_, output, _) = await PbmAsync(held, "mta", "queue", "show", "held.test", "--json");
            return JsonDocument.Parse(output).RootElement.GetProperty("last_error").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(60), "held.test's deferral recorded");
        Assert.Equal(1, await QueuedAsync(held, "held.test"));

        var suspend = await PbmAsync(held, "mta", "domain", "suspend", "held.test", "--reason", "maintenance at the receiver");
        Assert.True(suspend.Code == 0, suspend.Error);
        Assert.Contains("the owning node, told through the store", suspend.Output);
        // Due now, but suspended on its owner: the flush must not make it go.
        var flushHeld = await PbmAsync(held, "mta", "domain", "flush", "held.test");
        Assert.True(flushHeld.Code == 0, flushHeld.Error);
        Assert.Contains("held.test is suspended: nothing goes until it is resumed.", flushHeld.Output);
        // The entity's own view comes from its owner, asked by the node that was asked.
        var ownerName = held == admin1 ? "n2" : "n1";
        await Poll.UntilAsync(async () =>
        {
            var policy = JsonDocument.Parse((await PbmAsync(held, "mta", "domain", "policy", "held.test", "--json")).Output).RootElement;
            return policy.GetProperty("live") is { ValueKind: JsonValueKind.Object } live
                && live.GetProperty("node").GetString() == ownerName && live.GetProperty("suspended").GetBoolean();
        }, TimeSpan.FromSeconds(60), "the owner's entity suspended, shown by the other node");
        var policyText = await PbmAsync(held, "mta", "domain", "policy", "held.test");
        Assert.Matches($@"(?m)^Live on\s+{ownerName}\s*$", policyText.Output);
        var top = JsonDocument.Parse((await PbmAsync(held, "mta", "queue", "top", "--json")).Output).RootElement;
        Assert.Empty(top.GetProperty("live_problems").EnumerateArray());
        var heldInTop = top.GetProperty("domains").EnumerateArray().Single(d => d.GetProperty("domain").GetString() == "held.test");
        Assert.Equal(ownerName, heldInTop.GetProperty("live").GetProperty("node").GetString());

        // Mail to another domain, sent after, is delivered meanwhile: the bounded event that held.test had its chance.
        await SendAsync("m@marker.test");
        await Poll.UntilAsync(async () => receiver.Of("marker.test").Accepted == 1 && await QueuedAsync(admin1, "marker.test") == 0, TimeSpan.FromSeconds(60), "marker.test delivered");
        Assert.Equal((1, 0), receiver.Of("held.test"));
        Assert.Equal(1, await QueuedAsync(admin1, "held.test"));

        var resume = await PbmAsync(held, "mta", "domain", "resume", "held.test");
        Assert.True(resume.Code == 0, resume.Error);
        Assert.StartsWith("Resumed delivery to held.test", resume.Output);
        await Poll.UntilAsync(async () => receiver.Of("held.test").Accepted == 1 && await QueuedAsync(admin1, "held.test") == 0, TimeSpan.FromSeconds(60), "held.test delivered once resumed");

        // flush.test's mail is refused once; the flush, from the node that does not own it, sends it
        // now instead of at its retry minutes later.
        var flusher = await NotOwnerOfAsync("flush.test");
        await SendAsync("f@flush.test");
        await Poll.UntilAsync(() => Task.FromResult(receiver.Of("flush.test").Refused == 1), TimeSpan.FromSeconds(60), "flush.test's first attempt refused");
        await Poll.UntilAsync(async () =>
        {
            var (_, output, _) = await PbmAsync(flusher, "mta", "queue", "show", "flush.test", "--json");
            return JsonDocument.Parse(output).RootElement.GetProperty("last_error").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(60), "flush.test's deferral recorded");
        var flush = await PbmAsync(flusher, "mta", "domain", "flush", "flush.test", "--json");
        Assert.True(flush.Code == 0, flush.Error);
        var flushed = JsonDocument.Parse(flush.Output).RootElement;
        Assert.Equal(1, flushed.GetProperty("recipients_made_due").GetInt32());
        Assert.False(flushed.GetProperty("suspended").GetBoolean());
        await Poll.UntilAsync(async () => receiver.Of("flush.test").Accepted == 1 && await QueuedAsync(admin1, "flush.test") == 0, TimeSpan.FromSeconds(60), "flush.test delivered after the flush");
    }
}
