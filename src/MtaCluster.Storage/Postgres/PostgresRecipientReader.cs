using MtaCluster.Mail;
using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>Reads recipient rows selected with <see cref="PostgresSchema.RecipientColumns"/>, in that column order.</summary>
internal static class PostgresRecipientReader
{
    public static async Task<IReadOnlyList<QueuedRecipient>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var recipients = new List<QueuedRecipient>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            recipients.Add(new QueuedRecipient(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetInt32(4),
                NullableString(reader, 5),
                StoredEnvelopeValues.ToNotify(reader.GetInt16(6)),
                (RecipientState)reader.GetInt16(7),
                reader.GetInt32(8),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(10)),
                NullableString(reader, 11),
                reader.GetInt32(12),
                NullableTime(reader, 13),
                NullableTime(reader, 14),
                NullableString(reader, 15),
                (DeliveryLane)reader.GetInt16(16),
                reader.GetString(17)));
        }
        return recipients;
    }

    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
