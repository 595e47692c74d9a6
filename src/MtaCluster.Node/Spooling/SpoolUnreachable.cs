using System.Data.Common;
using System.Net.Sockets;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// The one line a node prints when its PostgreSQL spool cannot be opened at start (server down, wrong
/// host, port, database or credentials): the key to look at, where it points, and the server's or the
/// network's reason, rather than an exception's stack. The password is never printed.
/// </summary>
public static class SpoolUnreachable
{
    /// <summary>The line for <paramref name="exception"/>, or null when it is not the database being unreachable or refusing.</summary>
    public static string? Describe(Exception exception, SpoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider != SpoolProvider.PostgreSql) return null;
        if (exception is not (DbException or SocketException or TimeoutException or IOException)) return null;
        return $"{SpoolOptions.Section}:ConnectionString: cannot open the PostgreSQL spool at {Where(options.ConnectionString)}: {Reason(exception)}";
    }

    private static string Where(string? connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString ?? "";
        }
        catch (ArgumentException)
        {
            return "(unreadable connection string)";
        }
        string Value(string key, string fallback) => builder.TryGetValue(key, out var value) && value is not null && value.ToString() is { Length: > 0 } text ? text : fallback;
        return $"host {Value("Host", Value("Server", "localhost"))} port {Value("Port", "5432")} database {Value("Database", "(default)")}";
    }

    // Npgsql's message says what it tried ("Failed to connect to 127.0.0.1:5432"); the inner one says why ("Connection refused").
    private static string Reason(Exception exception)
    {
        var parts = new List<string>();
        for (var current = exception; current is not null && parts.Count < 3; current = current.InnerException)
        {
            var message = current.Message.ReplaceLineEndings(" ").Trim();
            if (message.Length > 0 && !parts.Any(p => p.Contains(message, StringComparison.Ordinal))) parts.Add(message);
        }
        return string.Join(": ", parts);
    }
}
