using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// Issues wake-ups inside the caller's transaction: PostgreSQL delivers a NOTIFY only when that
/// transaction commits (and never when it rolls back), so a listener is told only of work it can see.
/// Identical payloads in one transaction are folded by the server, and are gathered here first so
/// that one statement carries them all.
/// </summary>
internal static class PostgresWakeNotifier
{
    public static async Task NotifyAsync(NpgsqlConnection connection, List<string> payloads, CancellationToken cancellationToken)
    {
        if (payloads.Count == 0) return;
        await using var command = new NpgsqlCommand(PostgresSchema.Notify, connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = WakeNotification.Channel });
        command.Parameters.Add(new NpgsqlParameter<List<string>> { TypedValue = payloads });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One payload per distinct (shard, domain) of the messages' recipients: the domain entities that have new work.</summary>
    public static List<string> DomainPayloads(IEnumerable<SpoolMessage> messages)
    {
        var seen = new HashSet<(int, string)>();
        var payloads = new List<string>();
        foreach (var message in messages)
        {
            foreach (var recipient in message.Recipients)
            {
                if (seen.Add((recipient.Shard, recipient.Domain)))
                    payloads.Add(new WakeNotification(WakeNotification.DomainType, recipient.Shard, recipient.Domain).ToPayload());
            }
        }
        return payloads;
    }
}
