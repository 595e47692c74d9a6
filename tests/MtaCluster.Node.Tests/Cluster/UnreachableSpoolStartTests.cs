using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Cluster;

/// <summary>
/// A node whose PostgreSQL spool cannot be opened at start says so in one line naming
/// Spool:ConnectionString and the reason, and exits non-zero, instead of dying with a stack trace.
/// </summary>
public sealed class UnreachableSpoolStartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-nospool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_node_whose_database_server_is_not_listening_prints_one_line_naming_the_connection_string_and_exits_non_zero()
    {
        // A free port: nothing listens there.
        int databasePort = FreePort.Next();
        var output = await RunNodeAsync($"Host=127.0.0.1;Port={databasePort};Username=postgres;Password=secret-word;Database=mta");

        Assert.Contains($"error: Spool:ConnectionString: cannot open the PostgreSQL spool at host 127.0.0.1 port {databasePort} database mta: ", output.Text);
        Assert.Contains("Connection refused", output.Text);
        AssertOneLineWithoutStackOrPassword(output);
    }

    [Fact]
    public async Task A_node_whose_database_does_not_exist_prints_the_servers_reason_and_exits_non_zero()
    {
        await using var postgres = await PostgresServer.StartNewAsync();
        var output = await RunNodeAsync($"Host=127.0.0.1;Port={postgres.Port};Username=postgres;Database=no_such_spool");

        Assert.Contains($"error: Spool:ConnectionString: cannot open the PostgreSQL spool at host 127.0.0.1 port {postgres.Port} database no_such_spool: ", output.Text);
        Assert.Contains("does not exist", output.Text);
        AssertOneLineWithoutStackOrPassword(output);
    }

    private static void AssertOneLineWithoutStackOrPassword((int Exit, string Text, IReadOnlyCollection<string> Lines) output)
    {
        Assert.NotEqual(0, output.Exit);
        Assert.Single(output.Lines, line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.DoesNotContain("Unhandled exception", output.Text);
        Assert.DoesNotContain("   at ", output.Text);
        Assert.DoesNotContain("secret-word", output.Text);
    }

    private async Task<(int Exit, string Text, IReadOnlyCollection<string> Lines)> RunNodeAsync(string connectionString)
    {
        var dataDir = Path.Combine(_dir, "data");
        Directory.CreateDirectory(dataDir);
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), dataDir, FreePort.Next(), $"""
            Spool:
              Provider: PostgreSql
              ConnectionString: "{connectionString}"

            """);
        await File.WriteAllTextAsync(config, File.ReadAllText(config).Replace("Node:\n", "Node:\n  Name: lonely\n", StringComparison.Ordinal));
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        // Npgsql's own connect timeout bounds the attempt; a slow machine gets plenty more.
        int exit = await node.WaitForExitAsync(TimeSpan.FromSeconds(90));
        // The output readers may still be draining the last lines after the exit.
        await Poll.UntilAsync(() => node.Output.Any(line => line.StartsWith("error:", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the error line");
        return (exit, node.OutputText, node.Output);
    }
}
