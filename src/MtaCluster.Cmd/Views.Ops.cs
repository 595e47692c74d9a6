using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace MtaCluster.Cmd;

// The control plane's views: config reload, the cluster's leader and member actions, the shard regions, spool backup.
public static partial class Views
{
    public static void ConfigReload(IAnsiConsole console, JsonElement reload)
    {
        foreach (var file in reload.GetProperty("reloaded").EnumerateArray())
            console.WriteLine($"reloaded {file.GetString()}");
        foreach (var key in reload.GetProperty("restart_needed").EnumerateArray())
            console.WriteLine($"changed, takes effect after a restart: {key.GetString()}");
        var errors = reload.GetProperty("errors").EnumerateArray().ToList();
        foreach (var e in errors)
            console.WriteLine($"refused: {e.GetProperty("message").GetString()}");
        console.WriteLine(errors.Count == 0
            ? "Configuration reloaded: in force."
            : $"Refused ({errors.Count} error{(errors.Count == 1 ? "" : "s")}): the configuration in force stays for the files refused.");
    }

    public static void ClusterLeader(IAnsiConsole console, JsonElement leader)
    {
        if (leader.GetProperty("node").ValueKind != JsonValueKind.String)
        {
            console.WriteLine("No leader now: the coordinator lease is free (the next round takes it).");
            return;
        }
        var address = Text(leader, "admin_address");
        console.WriteLine($"Leader: {Text(leader, "node")}{(address.Length > 0 ? $" ({address})" : "")}"
            + (leader.GetProperty("expires_at").ValueKind == JsonValueKind.String
                ? $" | coordinator epoch {leader.GetProperty("epoch").GetInt64().ToString(CultureInfo.InvariantCulture)}, lease until {Time(leader, "expires_at")}"
                : " | a node of its own"));
    }

    public static void ClusterMemberAction(IAnsiConsole console, JsonElement action) =>
        console.WriteLine(Text(action, "message"));

    public static void ShardingRegions(IAnsiConsole console, JsonElement regions)
    {
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("Region").AddColumn(new TableColumn("Entities").RightAligned()).AddColumn(new TableColumn("Shards with entities").RightAligned());
        foreach (var r in regions.GetProperty("regions").EnumerateArray())
            table.AddRow(Text(r, "type"), Number(r, "entities"), Number(r, "shards_with_entities"));
        console.Write(table);
        console.WriteLine($"Node {Text(regions, "node")}: owns {Number(regions, "shards_owned")} of {Number(regions, "max_shards")} shards");
    }

    public static void ShardingRegionStats(IAnsiConsole console, JsonElement stats)
    {
        var shards = stats.GetProperty("shards").EnumerateArray().ToList();
        console.WriteLine($"Region {Text(stats, "type")} on {Text(stats, "node")}: {Number(stats, "entities")} entities in {shards.Count} shards");
        if (shards.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple).AddColumn(new TableColumn("Shard").RightAligned()).AddColumn(new TableColumn("Entities").RightAligned());
            foreach (var s in shards) table.AddRow(Number(s, "shard"), Number(s, "entities"));
            console.Write(table);
        }
        foreach (var m in stats.GetProperty("members").EnumerateArray())
        {
            var owned = m.GetProperty("shards").EnumerateArray().Select(s => s.GetInt32()).ToList();
            console.WriteLine($"{Text(m, "node")}: {owned.Count} shards by lease ({Ranges(owned)})");
        }
    }

    public static void ShardingShardStats(IAnsiConsole console, JsonElement stats)
    {
        var shards = stats.GetProperty("shards").EnumerateArray().ToList();
        if (shards.Count == 0)
        {
            console.WriteLine($"No shard of region {Text(stats, "type")} has entities on {Text(stats, "node")}.");
            return;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("Shard").RightAligned()).AddColumn("Owner").AddColumn(new TableColumn("Entities").RightAligned()).AddColumn("Entity ids");
        foreach (var s in shards)
        {
            var ids = s.GetProperty("entity_ids").EnumerateArray().Select(i => i.GetString()!).ToList();
            table.AddRow(Number(s, "shard"), Markup.Escape(Text(s, "owner", "(none: moving)")), Number(s, "entities"),
                Markup.Escape(ids.Count <= 5 ? string.Join(", ", ids) : string.Join(", ", ids.Take(5)) + $" and {ids.Count - 5} more"));
        }
        console.Write(table);
    }

    public static void ShardingOwner(IAnsiConsole console, JsonElement owner)
    {
        var address = Text(owner, "owner_admin_address");
        console.WriteLine($"{Text(owner, "key")} ({Text(owner, "kind")}): shard {Number(owner, "shard")} of the {Text(owner, "region")} region, owned by "
            + (owner.GetProperty("owner").ValueKind == JsonValueKind.String ? Text(owner, "owner") + (address.Length > 0 ? $" ({address})" : "") : "no node now (moving)"));
    }

    public static void SpoolBackup(IAnsiConsole console, JsonElement backup) =>
        console.WriteLine($"backed up {Text(backup, "spool")} to {Text(backup, "file")}: {Number(backup, "messages")} messages, "
            + $"{Number(backup, "pending_recipients")} recipients to deliver, {Number(backup, "bytes")} bytes, schema {Number(backup, "schema_version")}, "
            + $"verified ({backup.GetProperty("elapsed_seconds").GetDouble().ToString("0.###", CultureInfo.InvariantCulture)} s)");

    private static string Number(JsonElement element, string key) =>
        element.GetProperty(key).GetInt64().ToString(CultureInfo.InvariantCulture);

    /// <summary>Shard numbers as ranges: 0-3, 7, 9-12.</summary>
    public static string Ranges(IReadOnlyList<int> sorted)
    {
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture) : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }
}
