using System.Text.Json;
using MtaCluster.Actors.Sharding;

namespace MtaCluster.Cmd.Tests;

// The control plane on a node of its own: config reload, the cluster's leader/leave/down, the shard regions, spool backup.
public sealed partial class PbmCommandTests
{
    [Fact]
    public async Task Config_reload_puts_a_good_domains_file_in_force_and_refuses_a_bad_one_naming_the_key()
    {
        var file = Path.Combine(node.Directory, "domains.yaml");
        var original = await File.ReadAllTextAsync(file);
        // The fixture's file may already have a domains: map; the entry goes into it either way.
        string WithEntry(string entry) => original.Contains("domains:\n", StringComparison.Ordinal)
            ? original.Replace("domains:\n", "domains:\n" + entry, StringComparison.Ordinal)
            : original + "domains:\n" + entry;
        var domainsLine = original.Contains("domains:\n", StringComparison.Ordinal)
            ? original[..original.IndexOf("domains:\n", StringComparison.Ordinal)].Split('\n').Length
            : original.Split('\n').Length;
        try
        {
            await File.WriteAllTextAsync(file, WithEntry("  reload.test:\n    max-connections: 3\n"));
            var good = await PbmAsync(WithToken("mta", "config", "reload"));
            Assert.True(good.ExitCode == 0, good.Error + good.Output);
            Assert.Contains($"reloaded {file}", good.Output);
            var policy = Json(await PbmAsync(WithToken("mta", "queue", "show", "reload.test", "--json"))).GetProperty("policy");
            Assert.Equal("reload.test", policy.GetProperty("key").GetString());
            Assert.Equal(3, policy.GetProperty("max_connections").GetInt32());

            // A misspelt key: refused with the key and its line named, and the entry in force stays.
            await File.WriteAllTextAsync(file, WithEntry("  reload.test:\n    max-conections: 5\n"));
            var bad = await PbmAsync(WithToken("mta", "config", "reload"));
            Assert.Equal(1, bad.ExitCode);
            Assert.Contains("max-conections", bad.Output);
            Assert.DoesNotContain($"reloaded {file}", bad.Output);
            var refused = await PbmAsync(WithToken("mta", "config", "reload", "--json"));
            Assert.Equal(1, refused.ExitCode);
            var error = Assert.Single(JsonDocument.Parse(refused.Output).RootElement.GetProperty("errors").EnumerateArray());
            Assert.Equal(file, error.GetProperty("file").GetString());
            Assert.Contains("max-conections", error.GetProperty("key").GetString());
            Assert.Equal(domainsLine + 2, error.GetProperty("line").GetInt32());
            policy = Json(await PbmAsync(WithToken("mta", "queue", "show", "reload.test", "--json"))).GetProperty("policy");
            Assert.Equal(3, policy.GetProperty("max_connections").GetInt32());
        }
        finally
        {
            await File.WriteAllTextAsync(file, original);
            Assert.Equal(0, (await PbmAsync(WithToken("mta", "config", "reload"))).ExitCode);
        }
    }

    [Fact]
    public async Task On_a_node_of_its_own_the_leader_is_itself_and_leave_and_down_say_they_need_a_cluster()
    {
        var leader = await PbmAsync(WithToken("cluster", "leader"));
        Assert.True(leader.ExitCode == 0, leader.Error);
        Assert.StartsWith($"Leader: pbm-node ({node.Endpoint})", leader.Output);
        Assert.Equal("pbm-node", Json(await PbmAsync(WithToken("cluster", "leader", "--json"))).GetProperty("node").GetString());

        var leave = await PbmAsync(WithToken("cluster", "leave"));
        Assert.Equal(1, leave.ExitCode);
        Assert.Contains("no cluster to leave", leave.Error);
        var down = await PbmAsync(WithToken("cluster", "down", "other"));
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("no cluster to down", down.Error);
        Assert.False(node.Node.HasExited);
    }

    [Fact]
    public async Task Cluster_sharding_shows_the_regions_and_the_owner_of_a_domain_and_of_a_message()
    {
        var regions = Json(await PbmAsync(WithToken("cluster-sharding", "regions", "--json")));
        Assert.Equal(["domain", "message"], regions.GetProperty("regions").EnumerateArray().Select(r => r.GetProperty("type").GetString()));
        Assert.Equal(1024, regions.GetProperty("shards_owned").GetInt32());
        var text = await PbmAsync(WithToken("cluster-sharding", "regions"));
        Assert.Contains("Node pbm-node: owns 1024 of 1024 shards", text.Output);

        // The domain's shard is the one its mail is filed under, as the queue shows it.
        var shard = Json(await PbmAsync(WithToken("mta", "queue", "show", "big.test", "--json"))).GetProperty("shard").GetInt32();
        var owner = Json(await PbmAsync(WithToken("cluster-sharding", "shard-owner", "big.test", "--json")));
        Assert.Equal("domain", owner.GetProperty("kind").GetString());
        Assert.Equal(shard, owner.GetProperty("shard").GetInt32());
        Assert.Equal("pbm-node", owner.GetProperty("owner").GetString());
        var message = await PbmAsync(WithToken("cluster-sharding", "shard-owner", node.MessageId));
        Assert.True(message.ExitCode == 0, message.Error);
        Assert.Contains($"{node.MessageId} (message): shard {ShardHash.ShardOf(node.MessageId, 1024)} of the message region, owned by pbm-node ({node.Endpoint})", message.Output);

        var stats = Json(await PbmAsync(WithToken("cluster-sharding", "region-stats", "-r", "domain", "--json")));
        Assert.Equal(1024, Assert.Single(stats.GetProperty("members").EnumerateArray()).GetProperty("shards").GetArrayLength());
        var one = Json(await PbmAsync(WithToken("cluster-sharding", "shard-stats", "-r", "domain", "-s", shard.ToString(), "--json")));
        var view = Assert.Single(one.GetProperty("shards").EnumerateArray());
        Assert.Equal(shard, view.GetProperty("shard").GetInt32());
        Assert.Equal("pbm-node", view.GetProperty("owner").GetString());
        Assert.Equal(2, (await PbmAsync(WithToken("cluster-sharding", "region-stats", "-r", "mailbox"))).ExitCode);
    }

    [Fact]
    public async Task Spool_backup_copies_the_running_nodes_spool_verified_and_restore_names_the_node_command()
    {
        var file = Path.Combine(node.Directory, $"backup-{Guid.NewGuid():N}.db");
        var run = await PbmAsync(WithToken("mta", "spool", "backup", file));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains($"backing up the spool of {node.Endpoint} to {file}", run.Output);
        Assert.Matches($@"backed up .*spool\.db to {System.Text.RegularExpressions.Regex.Escape(file)}: 2 messages, 4 recipients to deliver, \d+ bytes, schema \d+, verified", run.Output);
        Assert.True(File.Exists(file));
        Assert.False(File.Exists(file + ".partial"));

        // Never over a file that exists.
        var again = await PbmAsync(WithToken("mta", "spool", "backup", file, "--json"));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("exists", again.Error);

        var restore = await PbmAsync(WithToken("mta", "spool", "restore", file));
        Assert.Equal(1, restore.ExitCode);
        Assert.Contains($"spool-restore --from {file}", restore.Error);
        Assert.False(node.Node.HasExited);
    }
}
