using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MtaCluster.Node.Configuration;
using MtaCluster.Node.Hosting;
using MtaCluster.Node.Spooling;
using MtaCluster.Storage;

NodeCommandLine commandLine;
try
{
    commandLine = NodeCommandLine.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(NodeCommandLine.Usage);
    return 2;
}

switch (commandLine.Command)
{
    case "help":
        Console.WriteLine(NodeCommandLine.Usage);
        return 0;
    case NodeCommandLine.HashPasswordCommand:
        return await MtaCluster.Node.HashPasswordCommand.RunAsync(commandLine.Rest);
    case NodeCommandLine.DkimKeygenCommand:
        return await MtaCluster.Node.DkimKeygenCommand.RunAsync(commandLine);
    case NodeCommandLine.SpoolBackupCommand or NodeCommandLine.SpoolRestoreCommand:
        return await MtaCluster.Node.SpoolBackupCommand.RunAsync(commandLine);
}

// Every configuration mistake ends the start here with exit 2 and one line naming the file (or
// variable), the line and column, the key, the value and what was expected: no stack trace.
Microsoft.Extensions.Configuration.IConfigurationRoot configuration;
try
{
    configuration = NodeConfiguration.Build(commandLine);
}
catch (ConfigurationErrorException ex)
{
    Console.Error.WriteLine($"error: {ex.Error}");
    return 2;
}
catch (Exception ex) when (ex is FormatException or FileNotFoundException or InvalidDataException)
{
    var reason = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
    Console.Error.WriteLine($"error: {reason.ReplaceLineEndings(" ")}");
    return 2;
}

var configurationErrors = NodeConfigurationValidator.Validate(configuration);
if (configurationErrors.Count > 0)
{
    Console.Error.WriteLine(NodeConfigurationValidator.Summary(configurationErrors));
    return 2;
}

using var dataDirectoryLock = DataDirectoryLock.TryAcquire(NodeConfigurationSections.Bind<NodeOptions>(configuration).FullDataDir, out var lockRefusal);
if (dataDirectoryLock is null)
{
    Console.Error.WriteLine($"error: {lockRefusal}");
    return 2;
}

Microsoft.Extensions.Hosting.IHost host;
try
{
    host = NodeHost.Build(configuration);
}
catch (MtaCluster.Delivery.Policies.DomainPolicyConfigException ex)
{
    Console.Error.WriteLine($"error: {DomainPolicyErrorLine.ToError(ex)}");
    return 2;
}
catch (ConfigurationErrorException ex)
{
    // What the validator could not foresee and the binder still refused.
    Console.Error.WriteLine($"error: {ex.Error}");
    return 2;
}
using var runningHost = host;
// Before any service starts, so a node that would strand queued mail never opens a listener.
// A cluster member asks the database which other nodes run: a changed placement must not move their rows.
var member = host.Services.GetService<MtaCluster.Cluster.ClusterMember>();
string? refusal;
try
{
    refusal = await ShardCountCheck.RunAsync(
        host.Services.GetRequiredService<IQueueStore>(),
        host.Services.GetRequiredService<MtaCluster.Delivery.Domains.DomainPlacement>(),
        member is null ? null : new Func<CancellationToken, Task<IReadOnlyList<string>>>(member.OtherLiveMembersAsync),
        host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("MtaCluster.Node.Spool"));
}
catch (Exception ex) when (SpoolUnreachable.Describe(ex, host.Services.GetRequiredService<SpoolOptions>()) is { } unreachable)
{
    // Nothing can be accepted without the spool: one line saying which setting and why, and exit 1
    // (a configuration mistake the validator catches exits 2).
    Console.Error.WriteLine($"error: {unreachable}");
    return 1;
}
if (refusal is not null)
{
    Console.Error.WriteLine($"error: {refusal}");
    return 2;
}
try
{
    await runningHost.RunAsync();
}
catch (OperationCanceledException)
{
    // SIGTERM or Ctrl-C arrived while the node was still starting: the services that had started
    // have been stopped again, which is a clean shutdown.
    Console.Error.WriteLine("node stopped while starting");
}
return 0;
