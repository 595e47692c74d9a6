using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace MtaCluster.Cmd;

/// <summary>How each answer of the admin API is shown to a person: lines and tables, times in UTC, ages in words.</summary>
public static partial class Views
{
    public static void ClusterShow(IAnsiConsole console, JsonElement cluster)
    {
        var nodes = cluster.GetProperty("nodes").EnumerateArray().ToList();
        // Petabridge.Cmd's shape: one line per member, then the count.
        foreach (var node in nodes)
        {
            var entities = node.GetProperty("entities").ValueKind == JsonValueKind.Number ? node.GetProperty("entities").GetInt32().ToString(CultureInfo.InvariantCulture) : "-";
            console.WriteLine(string.Join(" | ",
                $"{Text(node, "name")} ({Text(node, "admin_address", Text(node, "address"))})",
                Text(node, "state"),
                $"{node.GetProperty("shards").GetInt32()} shards",
                $"{entities} entities",
                $"up since {Time(node, "up_since")}"));
        }
        console.WriteLine($"Count: {nodes.Count} nodes");
    }

    public static void ClusterStatus(IAnsiConsole console, JsonElement cluster)
    {
        var nodes = cluster.GetProperty("nodes").EnumerateArray().ToList();
        var up = nodes.Count(n => Text(n, "state") == "up");
        var owned = nodes.Sum(n => n.GetProperty("shards").GetInt32());
        var maxShards = cluster.GetProperty("max_shards").GetInt32();
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Store", Text(cluster, "store"));
        grid.AddRow("Nodes", $"{up} up of {nodes.Count}");
        grid.AddRow("Shards owned", $"{owned} of {maxShards}");
        foreach (var state in nodes.GroupBy(n => Text(n, "state")).Where(g => g.Key != "up"))
            grid.AddRow($"  {state.Key}", Markup.Escape(string.Join(", ", state.Select(n => Text(n, "name")))));
        console.Write(grid);
        console.WriteLine(up == nodes.Count && owned == maxShards ? "Status: healthy" : "Status: degraded");
    }

    public static void QueueSummary(IAnsiConsole console, JsonElement queue)
    {
        var recipients = queue.GetProperty("recipients");
        var table = new Table().Border(TableBorder.Simple).AddColumn("State").AddColumn(new TableColumn("Recipients").RightAligned());
        foreach (var state in new[] { "pending", "delivered", "failed", "expired" })
            table.AddRow(state, recipients.GetProperty(state).GetInt64().ToString("N0", CultureInfo.InvariantCulture));
        console.Write(table);
        console.WriteLine($"Messages: {queue.GetProperty("messages").GetInt64().ToString("N0", CultureInfo.InvariantCulture)}");
        console.WriteLine($"Oldest queued: {OldestLine(queue)}");
    }

    public static void QueueTop(IAnsiConsole console, JsonElement top)
    {
        var domains = top.GetProperty("domains").EnumerateArray().ToList();
        if (domains.Count == 0)
        {
            console.WriteLine("No domain has mail queued.");
            return;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("Domain").AddColumn(new TableColumn("Queued").RightAligned()).AddColumn("Oldest").AddColumn("Throttle").AddColumn("Last error");
        foreach (var d in domains)
        {
            table.AddRow(
                Markup.Escape(Text(d, "domain")),
                d.GetProperty("queued").GetInt64().ToString("N0", CultureInfo.InvariantCulture),
                Age(d),
                Markup.Escape(Throttle(d)),
                Markup.Escape(Text(d, "last_error", "-")));
        }
        console.Write(table);
        console.WriteLine($"Count: {domains.Count} domains");
        if (top.TryGetProperty("live_problems", out var problems) && problems.ValueKind == JsonValueKind.Array)
        {
            foreach (var problem in problems.EnumerateArray()) console.WriteLine($"Throttle state not known: {problem.GetString()}");
        }
    }

    /// <summary>The throttle state: the operator's suspension, else what the domain's running entity reports (its owner's).</summary>
    private static string Throttle(JsonElement domain)
    {
        if (domain.GetProperty("suspended").GetBoolean()) return "suspended";
        if (!domain.TryGetProperty("live", out var live) || live.ValueKind != JsonValueKind.Object) return "-";
        if (live.GetProperty("suspended").GetBoolean()) return "suspended";
        if (live.GetProperty("in_backoff").GetBoolean()) return "backoff";
        var open = live.GetProperty("active_connections").GetInt32();
        return open == 0 ? "idle" : $"{open}/{live.GetProperty("max_connections").GetInt32()} conns";
    }

    public static void DomainShow(IAnsiConsole console, JsonElement domain)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Domain", Markup.Escape(Text(domain, "domain")));
        grid.AddRow("Shard", domain.GetProperty("shard").GetInt32().ToString(CultureInfo.InvariantCulture));
        grid.AddRow("Queued", domain.GetProperty("queued").GetInt64().ToString("N0", CultureInfo.InvariantCulture));
        grid.AddRow("Oldest", OldestLine(domain));
        grid.AddRow("Last error", Markup.Escape(Text(domain, "last_error", "-")) + (domain.GetProperty("last_attempt_at").ValueKind == JsonValueKind.String ? $" (at {Time(domain, "last_attempt_at")})" : ""));
        var suspension = domain.GetProperty("suspension");
        grid.AddRow("Suspended", suspension.ValueKind == JsonValueKind.Object
            ? Markup.Escape($"since {Time(suspension, "suspended_at")}, until {Text(suspension, "until", "resumed")}: {Text(suspension, "reason", "no reason given")}")
            : "no");
        var policy = domain.GetProperty("policy");
        grid.AddRow("Policy", Markup.Escape($"{Text(policy, "key")} ({Text(policy, "match")}): {Text(policy, "why")}"));
        grid.AddRow("  Throttle key", Markup.Escape(Text(policy, "throttle_key")));
        grid.AddRow("  Connections", $"at most {policy.GetProperty("max_connections").GetInt32()}, {policy.GetProperty("max_messages_per_connection").GetInt32()} messages each");
        grid.AddRow("  Rate", $"{Limit(policy, "max_messages_per_minute")}/min, {Limit(policy, "max_messages_per_hour")}/h, {Limit(policy, "max_new_connections_per_minute")} new connections/min");
        grid.AddRow("  Retry", Markup.Escape($"{string.Join(", ", policy.GetProperty("retry_intervals").EnumerateArray().Select(i => i.GetString()))}, then every {Text(policy, "retry_then_every")}, for at most {Text(policy, "max_age")}"));
        grid.AddRow("  TLS", Text(policy, "tls"));
        grid.AddRow("  Egress pool", Markup.Escape(Text(policy, "egress_pool")));
        grid.AddRow("  Route", Markup.Escape(Text(policy, "route", "MX")));
        console.Write(grid);
    }

    public static void MessageShow(IAnsiConsole console, JsonElement message)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Message", Markup.Escape(Text(message, "id")));
        grid.AddRow("From", Markup.Escape($"<{Text(message, "reverse_path")}>"));
        grid.AddRow("Received", Time(message, "received_at"));
        grid.AddRow("Size", $"{message.GetProperty("size").GetInt64().ToString("N0", CultureInfo.InvariantCulture)} bytes");
        grid.AddRow("Tenant, lane", Markup.Escape($"{Text(message, "tenant")}, {Text(message, "lane")}"));
        grid.AddRow("Client", Markup.Escape(Text(message, "client_address", "-") + (Text(message, "authenticated_user", "") is { Length: > 0 } user ? $" (AUTH {user})" : "")));
        grid.AddRow("DSN", Markup.Escape(Text(message, "dsn") + (message.GetProperty("completed_at").ValueKind == JsonValueKind.String ? $" (complete at {Time(message, "completed_at")})" : "")));
        console.Write(grid);
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("Recipient").AddColumn("State").AddColumn(new TableColumn("Attempts").RightAligned()).AddColumn("Next attempt").AddColumn("Last reply");
        foreach (var r in message.GetProperty("recipients").EnumerateArray())
        {
            table.AddRow(Markup.Escape(Text(r, "address")), Text(r, "state"), r.GetProperty("attempts").GetInt32().ToString(CultureInfo.InvariantCulture),
                r.GetProperty("next_attempt_at").ValueKind == JsonValueKind.String ? Time(r, "next_attempt_at") : "-",
                Markup.Escape(Text(r, "last_reply", "-")));
        }
        console.Write(table);
    }

    private static string OldestLine(JsonElement element) =>
        element.GetProperty("oldest_queued_at").ValueKind == JsonValueKind.String
            ? $"{Time(element, "oldest_queued_at")} ({Age(element)} ago)"
            : "none";

    private static string Age(JsonElement element) =>
        element.GetProperty("oldest_age_seconds").ValueKind == JsonValueKind.Number ? Duration(element.GetProperty("oldest_age_seconds").GetInt64()) : "-";

    /// <summary>An age as an operator reads it: 42s, 5m12s, 3h04m, 2d05h.</summary>
    public static string Duration(long seconds) => seconds switch
    {
        < 60 => $"{seconds}s",
        < 3600 => $"{seconds / 60}m{seconds % 60:00}s",
        < 86400 => $"{seconds / 3600}h{seconds % 3600 / 60:00}m",
        _ => $"{seconds / 86400}d{seconds % 86400 / 3600:00}h",
    };

    private static string Limit(JsonElement policy, string key) =>
        policy.GetProperty(key).ValueKind == JsonValueKind.Number ? policy.GetProperty(key).GetInt32().ToString(CultureInfo.InvariantCulture) : "unlimited";

    private static string Text(JsonElement element, string key, string whenNull = "") =>
        element.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : whenNull;

    private static string Time(JsonElement element, string key) =>
        element.GetProperty(key).ValueKind == JsonValueKind.String
            ? element.GetProperty(key).GetDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)
            : "-";
}
