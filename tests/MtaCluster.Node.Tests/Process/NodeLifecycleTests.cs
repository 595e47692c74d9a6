namespace MtaCluster.Node.Tests.Process;

public sealed class NodeLifecycleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-node-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Node_starts_logs_its_effective_configuration_and_exits_zero_on_SIGTERM()
    {
        var dataDir = Path.Combine(_dir, "data");
        await using var node = NodeProcess.Start(_dir, ["--data-dir", dataDir], new Dictionary<string, string> { ["MTA_Node__Name"] = "lifecycle-test" });

        await node.WaitForOutputAsync("effective configuration", TimeSpan.FromSeconds(30));
        await node.WaitForOutputAsync($"Node:DataDir = {dataDir}", TimeSpan.FromSeconds(5));
        await node.WaitForOutputAsync("Node:Name = lifecycle-test", TimeSpan.FromSeconds(5));
        Assert.True(Directory.Exists(dataDir), "the data dir is created on start");

        node.Signal(NodeProcess.SIGTERM);
        var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exitCode);
        Assert.Contains(node.Output, l => l.Contains("stopped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Bad_option_exits_two_with_usage()
    {
        await using var node = NodeProcess.Start(_dir, ["--no-such-option"]);
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(node.Output, l => l.Contains("usage:", StringComparison.Ordinal));
    }
}
