using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Node.Configuration;

namespace MtaCluster.Node.Hosting;

/// <summary>Composes a node: configuration, logging and the node's services on the generic host.</summary>
public static class NodeHost
{
    public static IHost Build(NodeCommandLine commandLine, IConfigurationRoot configuration)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            Configuration = new ConfigurationManager(),
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        builder.Configuration.AddConfiguration(configuration);

        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
            o.UseUtcTimestamp = true;
        });

        var nodeOptions = configuration.GetSection(NodeOptions.Section).Get<NodeOptions>() ?? new NodeOptions();
        Directory.CreateDirectory(nodeOptions.FullDataDir);
        builder.Services.AddSingleton(nodeOptions);
        builder.Services.AddSingleton<IConfiguration>(configuration);
        // SIGTERM and Ctrl-C stop the host; the console lifetime turns them into StopAsync on every service.
        builder.Services.AddSingleton<IHostLifetime, Microsoft.Extensions.Hosting.Internal.ConsoleLifetime>();
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = nodeOptions.ShutdownTimeout);

        builder.Services.AddHostedService<NodeLifecycleService>();
        return builder.Build();
    }
}
