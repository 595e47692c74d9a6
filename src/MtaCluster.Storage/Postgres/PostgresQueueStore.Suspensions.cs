namespace MtaCluster.Storage.Postgres;

/// <summary>The suspensions in force, for the status page: the table holds one row per suspended domain, so a scan of it is small.</summary>
public sealed partial class PostgresQueueStore
{
    private const string SelectSuspensionsInForce =
        "SELECT domain, suspended_at, until, reason FROM domain_suspensions " +
        "WHERE until IS NULL OR until > $1 ORDER BY domain LIMIT $2";

    /// <inheritdoc />
    public async Task<IReadOnlyList<DomainSuspension>> GetSuspendedDomainsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, SelectSuspensionsInForce, now.ToUnixTimeMilliseconds(), limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var suspensions = new List<DomainSuspension>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            suspensions.Add(new DomainSuspension(
                reader.GetString(0),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
                reader.IsDBNull(2) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return suspensions;
    }
}
