using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Node.Hosting;

/// <summary>Logs what the node runs with when it starts, and that it stopped cleanly.</summary>
public sealed class NodeLifecycleService(NodeOptions node, IConfiguration configuration, ILogger<NodeLifecycleService> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("node {Node} starting; data dir {DataDir}", node.EffectiveName, node.FullDataDir);
        if (configuration is IConfigurationRoot root)
        {
            logger.LogInformation("configuration loaded from, each overriding the ones before: {Sources}", string.Join("; ", EffectiveConfiguration.Sources(root)));
        }
        logger.LogInformation("effective configuration follows");
        foreach (var line in EffectiveConfiguration.Lines(configuration))
        {
            logger.LogInformation("  {Setting}", line);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("node {Node} stopped", node.EffectiveName);
        return Task.CompletedTask;
    }
}
