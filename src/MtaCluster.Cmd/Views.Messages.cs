using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace MtaCluster.Cmd;

// An operator's actions on one message, and the lines of the event stream.
public static partial class Views
{
    public static void MessageBounced(IAnsiConsole console, JsonElement answer)
    {
        var count = answer.GetProperty("bounced_recipients").GetInt32();
        console.WriteLine(count == 0
            ? $"{Text(answer, "id")}: no recipient was pending, nothing bounced"
            : $"{Text(answer, "id")}: {Recipients(count)} bounced (554 5.0.0 bounced by the operator); the sender gets a failure DSN as NOTIFY asks");
    }

    public static void MessageRetried(IAnsiConsole console, JsonElement answer)
    {
        var count = answer.GetProperty("recipients_due_now").GetInt32();
        console.WriteLine(count == 0
            ? $"{Text(answer, "id")}: no recipient is pending, nothing to retry"
            : $"{Text(answer, "id")}: {Recipients(count)} due now, their domains woken");
    }

    public static void MessageDeleted(IAnsiConsole console, JsonElement answer) =>
        console.WriteLine($"{Text(answer, "id")}: removed from the spool with its {Recipients(answer.GetProperty("removed_recipients").GetInt32())}, no DSN sent");

    /// <summary>
    /// One accounting record as one line: time, type, recipient, domain, reply (or the next attempt's
    /// time for a deferral, where that is what an operator waits for). Null for what is not a record.
    /// </summary>
    public static string? EventLine(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object) return null;
        var type = Text(record, "type");
        if (type == "dropped")
            return $"{record.GetProperty("count").GetInt64().ToString(CultureInfo.InvariantCulture)} events lost: this client read them too slowly";
        var reply = record.TryGetProperty("reply", out var r) && r.ValueKind == JsonValueKind.Object
            ? string.Join(' ', new[] { r.GetProperty("code").GetInt32().ToString(CultureInfo.InvariantCulture), Text(r, "enhanced"), Text(r, "text") }.Where(p => p.Length > 0))
            : type switch
            {
                "removed" => "by the operator, no DSN",
                "received" => $"from {(Text(record, "sender") is { Length: > 0 } sender ? sender : "<>")} at {Text(record, "client_ip", "?")}",
                _ => "-",
            };
        var next = record.TryGetProperty("next_attempt_at", out var n) && n.ValueKind == JsonValueKind.String ? $" (next attempt {Time(record, "next_attempt_at")})" : "";
        return $"{Time(record, "time")}  {type,-9}  {Text(record, "recipient")}  {Text(record, "domain")}  {reply}{next}";
    }

    private static string Recipients(int count) => count == 1 ? "1 recipient" : $"{count} recipients";
}
