using Npgsql;

namespace MtaCluster.Storage.Postgres;

/// <summary>
/// The check a fenced write makes in its own transaction, before it changes anything: every shard it
/// touches must have a lease row naming this node with the epoch the node holds. The rows are locked
/// FOR KEY SHARE until the write commits, so a takeover (its epoch is a key column) either waits for the
/// write or, having bumped the epoch first, makes the write see it and be refused.
/// </summary>
internal static class PostgresShardFence
{
    public static async Task CheckAsync(NpgsqlConnection connection, IShardFencing? fencing, IReadOnlyCollection<int> shards, CancellationToken cancellationToken)
    {
        if (fencing is null || shards.Count == 0)
            return;
        var expected = new Dictionary<int, long>(shards.Count);
        List<int>? refused = null;
        foreach (var shard in shards)
        {
            if (fencing.TryGetEpoch(shard, out var epoch)) expected[shard] = epoch;
            else (refused ??= []).Add(shard);
        }
        if (expected.Count > 0)
        {
            await using var command = new NpgsqlCommand(PostgresSchema.LockLeases, connection);
            command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = [.. expected.Keys] });
            var confirmed = new HashSet<int>();
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var shard = reader.GetInt32(0);
                    if (!reader.IsDBNull(1) && reader.GetString(1) == fencing.NodeName && reader.GetInt64(2) == expected[shard])
                        confirmed.Add(shard);
                }
            }
            foreach (var shard in expected.Keys)
            {
                if (!confirmed.Contains(shard))
                    (refused ??= []).Add(shard);
            }
        }
        if (refused is not null)
            throw new ShardLeaseLostException(refused);
    }

    /// <summary>The distinct integers of a one-column query (the shards a write touches).</summary>
    public static async Task<List<int>> ShardsAsync(NpgsqlConnection connection, string sql, NpgsqlParameter parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(parameter);
        var shards = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            shards.Add(reader.GetInt32(0));
        return shards;
    }
}
