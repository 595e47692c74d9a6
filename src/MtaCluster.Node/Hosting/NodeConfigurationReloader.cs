using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Node.Delivery;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Hosting;

/// <summary>
/// Reads the node's configuration layers again (SIGHUP) and applies what can change cheaply and
/// safely while the node runs: the <c>Logging</c> levels, <c>Delivery:Hold</c> and the <c>Tenants</c>
/// section (users, weights, default lanes, hourly limits: the next message accepted and each domain's
/// next decision use them). Every other key
/// is bound once at start into listeners, the spool, pools and the actor system, so a change to it
/// is named at Warning as needing a restart rather than half applied.
/// </summary>
public sealed class NodeConfigurationReloader(
    IConfigurationRoot configuration,
    LiveConfigurationProvider logging,
    DeliveryOptions delivery,
    DeliveryEngine engine,
    TenantDirectoryHolder tenants,
    ILogger logger)
{
    public const string LoggingSection = "Logging";
    public const string HoldKey = "Delivery:Hold";

    /// <summary>Keys listed in one log line; the rest are counted.</summary>
    private const int MaxKeysShown = 10;

    /// <summary>The node's configuration files, as the reload reads them again.</summary>
    public IReadOnlyList<string> Files =>
        configuration.Providers.OfType<FileConfigurationProvider>()
            .Select(p => p.Source.FileProvider?.GetFileInfo(p.Source.Path ?? "").PhysicalPath ?? p.Source.Path ?? "")
            .Where(p => p.Length > 0)
            .ToList();

    /// <summary>Not applied, with the reasons, when the configuration was refused (the settings in force stay).</summary>
    public async Task<NodeConfigurationReloadOutcome> ReloadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string> candidate;
        TenantDirectory reloadedTenants;
        try
        {
            var root = ReadAgain(configuration);
            candidate = Flatten(root);
            // What the start-up check does not cover (a name listed twice in different spellings) the directory refuses.
            reloadedTenants = new TenantDirectory(Configuration.NodeConfigurationSections.Bind<TenantsOptions>(root));
        }
        catch (RefusedException ex)
        {
            logger.LogError("node configuration reload refused, the settings in force stay: {Error}", Configuration.NodeConfigurationValidator.FirstOf(ex.Errors));
            return new NodeConfigurationReloadOutcome(false, ex.Errors);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException or InvalidOperationException or ArgumentException
            or Configuration.ConfigurationErrorException)
        {
            logger.LogError("node configuration reload refused, the settings in force stay: {Error}", Describe(ex));
            var error = ex is Configuration.ConfigurationErrorException c
                ? c.Error
                : new Configuration.ConfigurationError(Files.Count > 0 ? Files[^1] : "node configuration", null, null, Describe(ex));
            return new NodeConfigurationReloadOutcome(false, [error]);
        }

        var running = Flatten(configuration);
        var live = logging.Values.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.OrdinalIgnoreCase);
        var newLogging = candidate.Where(kv => IsLogging(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var loggingChanges = Changes(live, newLogging);
        if (loggingChanges.Count > 0)
        {
            logging.Replace(newLogging.Select(kv => KeyValuePair.Create<string, string?>(kv.Key, kv.Value)));
            logger.LogInformation("node configuration reloaded: applied {Changes}", Describe(loggingChanges));
        }

        ApplyTenants(reloadedTenants);
        await ApplyHoldAsync(candidate, cancellationToken).ConfigureAwait(false);

        var restart = Changes(running, candidate).Where(c => !IsLogging(c.Key) && !IsTenants(c.Key) && !c.Key.Equals(HoldKey, StringComparison.OrdinalIgnoreCase)).ToList();
        if (restart.Count > 0)
        {
            logger.LogWarning("node configuration: changed since start, takes effect only after a restart: {Changes}", Describe(restart));
        }
        return new NodeConfigurationReloadOutcome(true, [], restart.Select(c => c.Key).ToList());
    }

    private void ApplyTenants(TenantDirectory reloaded)
    {
        var changes = TenantDirectoryComparer.Differences(tenants.Current, reloaded);
        if (changes.Count == 0) return;
        tenants.Replace(reloaded);
        logger.LogInformation("tenants reloaded: {Changes}", string.Join(", ", changes));
    }

    private async Task ApplyHoldAsync(IReadOnlyDictionary<string, string> candidate, CancellationToken cancellationToken)
    {
        var hold = candidate.TryGetValue(HoldKey, out var text) && bool.Parse(text);
        if (hold == delivery.Hold) return;
        delivery.Hold = hold;
        if (hold)
        {
            logger.LogWarning("delivery is on hold (Delivery:Hold reloaded): mail is accepted and spooled, transactions under way finish, nothing new is sent");
            return;
        }
        logger.LogInformation("delivery resumed (Delivery:Hold reloaded): queued mail is scheduled again");
        // Held domains reported idle without a wake-up; the spool knows which have mail due.
        await engine.RecoverAllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The same layers, read afresh: files from disk, the environment and the command line as they
    /// were (a process's environment does not change). Bound as the node binds them at start, so a
    /// value that would not start the node is refused here too.
    /// </summary>
    private static IConfigurationRoot ReadAgain(IConfigurationRoot running)
    {
        var builder = new ConfigurationBuilder();
        foreach (var provider in running.Providers)
        {
            if (provider is FileConfigurationProvider file) builder.Add(file.Source);
            else builder.AddInMemoryCollection(Snapshot(provider, parent: null));
        }
        var candidate = builder.Build();
        // The same checks as at start (unknown keys, values of the wrong type, malformed hashes), so a
        // file the node would refuse to start with is refused here too; then every section must bind.
        var errors = Configuration.NodeConfigurationValidator.Validate(candidate);
        if (errors.Count > 0)
            throw new RefusedException(errors);
        foreach (var (section, type) in Configuration.NodeConfigurationSections.OptionTypes)
            candidate.GetSection(section).Get(type);
        return candidate;
    }

    private static IEnumerable<KeyValuePair<string, string?>> Snapshot(IConfigurationProvider provider, string? parent)
    {
        foreach (var key in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var path = parent is null ? key : ConfigurationPath.Combine(parent, key);
            if (provider.TryGet(path, out var value) && value is not null) yield return KeyValuePair.Create<string, string?>(path, value);
            foreach (var child in Snapshot(provider, path)) yield return child;
        }
    }

    private static Dictionary<string, string> Flatten(IConfiguration configuration) =>
        configuration.AsEnumerable()
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.OrdinalIgnoreCase);

    private static bool IsTenants(string key) =>
        key.StartsWith(TenantsOptions.Section + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase);

    private static bool IsLogging(string key) =>
        key.StartsWith(LoggingSection + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase);

    private static List<(string Key, string? Before, string? After)> Changes(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        before.Keys.Union(after.Keys, StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select(k => (Key: k, Before: before.GetValueOrDefault(k), After: after.GetValueOrDefault(k)))
            .Where(c => c.Before != c.After)
            .ToList();

    private static string Describe(IReadOnlyList<(string Key, string? Before, string? After)> changes)
    {
        var shown = changes.Take(MaxKeysShown).Select(c => EffectiveConfiguration.IsSecret(c.Key)
            ? $"{c.Key} (***)"
            : $"{c.Key} {c.Before ?? "(not set)"} -> {c.After ?? "(not set)"}");
        var text = string.Join(", ", shown);
        return changes.Count > MaxKeysShown ? $"{text} and {changes.Count - MaxKeysShown} more" : text;
    }

    // The file provider wraps the parser's message (which names the line) and the binder wraps the
    // converter's (which says what is expected): the whole chain reads as one line.
    private static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (var current = ex; current is not null; current = current.InnerException)
        {
            var message = current.Message.TrimEnd('.');
            if (parts.Count == 0 || !parts[^1].Contains(message, StringComparison.Ordinal)) parts.Add(message);
        }
        return string.Join(": ", parts);
    }

    private sealed class RefusedException(IReadOnlyList<Configuration.ConfigurationError> errors) : Exception(Configuration.NodeConfigurationValidator.FirstOf(errors))
    {
        public IReadOnlyList<Configuration.ConfigurationError> Errors { get; } = errors;
    }
}

/// <summary>A reload of the node's configuration: applied (and which changed keys wait for a restart), or refused with its errors.</summary>
public sealed record NodeConfigurationReloadOutcome(bool Applied, IReadOnlyList<Configuration.ConfigurationError> Errors, IReadOnlyList<string>? RestartNeeded = null);
