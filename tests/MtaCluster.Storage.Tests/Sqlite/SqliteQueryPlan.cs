using Microsoft.Data.Sqlite;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>What SQLite's planner makes of a statement, so a test can require an index search rather than a scan.</summary>
internal static class SqliteQueryPlan
{
    /// <summary>The detail column of <c>EXPLAIN QUERY PLAN</c>, one line per step.</summary>
    public static async Task<List<string>> QueryPlanAsync(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync();
        var details = new List<string>();
        while (await reader.ReadAsync())
            details.Add(reader.GetString(3));
        return details;
    }
}
