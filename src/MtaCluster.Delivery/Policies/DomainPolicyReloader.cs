using Microsoft.Extensions.Logging;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// Reads <c>domains.yaml</c> again and puts it in force (SIGHUP). A file that would not start the
/// node is refused with the same message start-up gives, and the policy already in force stays:
/// a typo must never turn a tuned node into one delivering under defaults.
/// </summary>
/// <param name="path">The file loaded at start; null when the node runs on the built-in defaults.</param>
/// <param name="placement">The domains' placement taken at start, which a reload does not change.</param>
public sealed class DomainPolicyReloader(DomainPolicyHolder holder, string? path, ILogger logger, Domains.DomainPlacement? placement = null)
{
    public string? Path { get; } = path;

    /// <summary>Returns what changed, or null when the file was refused (or there is none).</summary>
    public DomainPolicyChanges? Reload() => ReloadWithOutcome().Changes;

    /// <summary>
    /// The same reload, saying why a file was refused (for an operator who asked through the admin
    /// API and must see the key); <see cref="DomainPolicyReloadOutcome.Applied"/> is false when there
    /// is no file or it was refused.
    /// </summary>
    public DomainPolicyReloadOutcome ReloadWithOutcome()
    {
        if (Path is null)
        {
            logger.LogInformation("no domains.yaml was loaded at start; the built-in defaults stay in force");
            return new DomainPolicyReloadOutcome(false, null, null);
        }
        DomainPolicyConfiguration configuration;
        try
        {
            configuration = DomainPolicyLoader.Load(Path);
        }
        catch (DomainPolicyConfigException ex)
        {
            logger.LogError("{File} reload refused, the policy in force stays: {Error}", System.IO.Path.GetFileName(Path), ex.Message);
            return new DomainPolicyReloadOutcome(false, null, ex);
        }
        var previous = holder.Replace(configuration);
        var changes = DomainPolicyChanges.Between(previous.Configuration, configuration);
        logger.LogInformation("{File} reloaded: {Changes}", System.IO.Path.GetFileName(Path), changes.Summary());
        if (placement is not null && Domains.DomainPlacement.From(configuration, placement.MaxShards).Fingerprint != placement.Fingerprint)
        {
            // Queued rows carry their shard and every node must place alike: moving domains is a restart's work.
            logger.LogWarning("{File}: the domains listed under mx-patterns changed; their placement takes effect at restart "
                + "(until then the group's limits hold per node for the domains added or moved)", System.IO.Path.GetFileName(Path));
        }
        return new DomainPolicyReloadOutcome(true, changes, null);
    }
}

/// <summary>A reload of domains.yaml: put in force (with what changed), or refused (with the loader's errors).</summary>
public sealed record DomainPolicyReloadOutcome(bool Applied, DomainPolicyChanges? Changes, DomainPolicyConfigException? Refusal);
