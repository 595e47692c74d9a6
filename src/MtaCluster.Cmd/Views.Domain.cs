using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace MtaCluster.Cmd;

// The answers of mta domain and mta queue purge.
public static partial class Views
{
    public static void DomainSuspended(IAnsiConsole console, JsonElement answer)
    {
        var until = answer.GetProperty("suspended_until").ValueKind == JsonValueKind.String ? Time(answer, "suspended_until") : "resumed";
        console.WriteLine($"Suspended delivery to {Text(answer, "domain")} until {until}: {Text(answer, "reason", "no reason given")}");
        console.WriteLine($"Deliveries under way finish; the mail stays queued. In force on {Text(answer, "takes_effect_on")}.");
    }

    public static void DomainResumed(IAnsiConsole console, JsonElement answer)
    {
        console.WriteLine(answer.GetProperty("was_suspended").GetBoolean()
            ? $"Resumed delivery to {Text(answer, "domain")}: it restarts now on {Text(answer, "takes_effect_on")}."
            : $"{Text(answer, "domain")} was not suspended: nothing to resume.");
    }

    public static void DomainFlushed(IAnsiConsole console, JsonElement answer)
    {
        var due = answer.GetProperty("recipients_due_now").GetInt64();
        var moved = answer.GetProperty("recipients_made_due").GetInt32();
        console.WriteLine($"Flushed {Text(answer, "domain")}: {due.ToString("N0", CultureInfo.InvariantCulture)} recipients due now ({moved.ToString("N0", CultureInfo.InvariantCulture)} were waiting for a retry); any backoff is over.");
        if (answer.GetProperty("suspended").GetBoolean())
            console.WriteLine($"{Text(answer, "domain")} is suspended: nothing goes until it is resumed.");
    }

    public static void DomainPurged(IAnsiConsole console, JsonElement answer)
    {
        console.WriteLine($"Purged {Text(answer, "domain")}: {answer.GetProperty("purged_recipients").GetInt32().ToString("N0", CultureInfo.InvariantCulture)} queued recipients deleted without a DSN, " +
            $"{answer.GetProperty("removed_messages").GetInt32().ToString("N0", CultureInfo.InvariantCulture)} messages removed.");
        var completed = answer.GetProperty("completed_messages").GetInt32();
        if (completed > 0)
            console.WriteLine($"{completed.ToString("N0", CultureInfo.InvariantCulture)} messages have no queued recipient left and are finished as usual (a DSN for their other recipients where one is due).");
    }

    public static void DomainPolicy(IAnsiConsole console, JsonElement answer)
    {
        var policy = answer.GetProperty("policy");
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow("Domain", Markup.Escape($"{Text(answer, "domain")} (shard {answer.GetProperty("shard").GetInt32().ToString(CultureInfo.InvariantCulture)})"));
        grid.AddRow("Policy", Markup.Escape($"{Text(policy, "key")} ({Text(policy, "match")})"));
        grid.AddRow("Why", Markup.Escape(Text(policy, "why")));
        grid.AddRow("Throttle key", Markup.Escape(Text(policy, "throttle_key")));
        grid.AddRow("Connections", $"at most {policy.GetProperty("max_connections").GetInt32()}, {policy.GetProperty("max_messages_per_connection").GetInt32()} messages and {policy.GetProperty("max_recipients_per_transaction").GetInt32()} recipients per transaction");
        grid.AddRow("Rate", $"{Limit(policy, "max_messages_per_minute")}/min, {Limit(policy, "max_messages_per_hour")}/h, {Limit(policy, "max_new_connections_per_minute")} new connections/min");
        grid.AddRow("Retry", Markup.Escape($"{string.Join(", ", policy.GetProperty("retry_intervals").EnumerateArray().Select(i => i.GetString()))}, then every {Text(policy, "retry_then_every")}, for at most {Text(policy, "max_age")}"));
        grid.AddRow("TLS", Text(policy, "tls"));
        grid.AddRow("Egress pool", Markup.Escape(Text(policy, "egress_pool")));
        grid.AddRow("Route", Markup.Escape(Text(policy, "route", "MX")));
        var suspension = answer.GetProperty("suspension");
        grid.AddRow("Suspended", suspension.ValueKind == JsonValueKind.Object
            ? Markup.Escape($"since {Time(suspension, "suspended_at")}, until {(suspension.GetProperty("until").ValueKind == JsonValueKind.String ? Time(suspension, "until") : "resumed")}: {Text(suspension, "reason", "no reason given")}")
            : "no");
        var live = answer.GetProperty("live");
        if (live.ValueKind == JsonValueKind.Object)
        {
            // What the entity itself works under may differ: an mx: pattern found through its MX hosts.
            grid.AddRow("Live on", Markup.Escape(Text(live, "node")));
            grid.AddRow("  In force", Markup.Escape($"{Text(live, "policy_key")} (throttle key {Text(live, "throttle_key")})"));
            grid.AddRow("  Backoff", live.GetProperty("in_backoff").GetBoolean() ? "yes" : "no");
            grid.AddRow("  Connections", $"{live.GetProperty("active_connections").GetInt32()} open of {live.GetProperty("max_connections").GetInt32()}, {live.GetProperty("in_flight").GetInt32()} recipients in hand");
        }
        else
        {
            grid.AddRow("Live", Markup.Escape(answer.TryGetProperty("live_problem", out var problem) && problem.ValueKind == JsonValueKind.String
                ? $"not known: {problem.GetString()}"
                : "not known now (its shard may be moving between nodes)"));
        }
        console.Write(grid);
    }
}
