using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Process;

public sealed class NodeLifecycleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-node-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The three default listeners moved to free loopback ports, the way an operator moves one from the environment.</summary>
    private static Dictionary<string, string> Environment(string name)
    {
        var env = new Dictionary<string, string> { ["MTA_Node__Name"] = name };
        foreach (var listener in new[] { "relay", "submission", "submissions" })
        {
            env[$"MTA_Smtp__Listeners__{listener}__Address"] = "127.0.0.1";
            env[$"MTA_Smtp__Listeners__{listener}__Port"] = FreePort.Next().ToString();
        }
        return env;
    }

    [Fact]
    public async Task Node_starts_logs_its_effective_configuration_and_exits_zero_on_SIGTERM()
    {
        var dataDir = Path.Combine(_dir, "data");
        await using var node = NodeProcess.Start(_dir, ["--data-dir", dataDir], Environment("lifecycle-test"));

        await node.WaitForOutputAsync("SMTP listener submissions", TimeSpan.FromSeconds(30));
        await node.WaitForOutputAsync("effective configuration", TimeSpan.FromSeconds(5));
        await node.WaitForOutputAsync($"Node:DataDir = {dataDir}", TimeSpan.FromSeconds(5));
        await node.WaitForOutputAsync("Node:Name = lifecycle-test", TimeSpan.FromSeconds(5));
        Assert.True(Directory.Exists(dataDir), "the data dir is created on start");

        node.Signal(NodeProcess.SIGTERM);
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"exit code {exitCode}:{System.Environment.NewLine}{node.OutputText}");
        Assert.Contains(node.Output, l => l.Contains("stopped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SIGTERM_while_the_node_is_still_starting_is_a_clean_stop()
    {
        await using var node = NodeProcess.Start(_dir, ["--data-dir", Path.Combine(_dir, "data")], Environment("early-stop"));
        // The first log line comes before the spool is open and the listeners are bound.
        await node.WaitForOutputAsync("starting", TimeSpan.FromSeconds(30));
        node.Signal(NodeProcess.SIGTERM);
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"exit code {exitCode}:{System.Environment.NewLine}{node.OutputText}");
        Assert.DoesNotContain(node.Output, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_option_exits_two_with_usage()
    {
        await using var node = NodeProcess.Start(_dir, ["--no-such-option"]);
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(node.Output, l => l.Contains("usage:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_domain_policy_file_stops_the_start_with_the_key_named_and_exit_two()
    {
        var domains = Path.Combine(_dir, "domains.yaml");
        await File.WriteAllTextAsync(domains, "default:\n  max-conections: 5\n");
        var env = Environment("bad-policy");
        env["MTA_Delivery__DomainsFile"] = domains;
        await using var node = NodeProcess.Start(_dir, ["--data-dir", Path.Combine(_dir, "data")], env);
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(node.Output, l => l.Contains("max-conections", StringComparison.Ordinal));
        Assert.DoesNotContain(node.Output, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_shard_count_other_than_the_spools_refuses_to_start_with_exit_two_and_one_line_saying_why()
    {
        var dataDir = Path.Combine(_dir, "data");
        await using (var first = NodeProcess.Start(_dir, ["--data-dir", dataDir], Environment("shards-first")))
        {
            await first.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
            first.Signal(NodeProcess.SIGTERM);
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }

        var changed = Environment("shards-changed");
        changed["MTA_Sharding__MaxShards"] = "512";
        await using (var refused = NodeProcess.Start(_dir, ["--data-dir", dataDir], changed))
        {
            Assert.Equal(2, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            var reason = Assert.Single(refused.Output, l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains("Sharding:MaxShards is 512 but this spool was created with 1024", reason);
            Assert.DoesNotContain(refused.Output, l => l.Contains("SMTP listener", StringComparison.Ordinal));
            Assert.DoesNotContain(refused.Output, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
        }

        // Back at the stored count it starts again.
        await using var again = NodeProcess.Start(_dir, ["--data-dir", dataDir], Environment("shards-again"));
        await again.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));
        again.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
