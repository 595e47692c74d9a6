using System.Globalization;
using MtaCluster.Node.Clustering;
using MtaCluster.Node.Spooling;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// What a clustered node's settings must satisfy together, beyond each key's type: a PostgreSql spool
/// needs its database, and a lease must outlive a few missed heartbeats or one slow round would drop
/// every shard the node holds.
/// </summary>
internal static class ClusterConfigurationRules
{
    public const int MinHeartbeatsPerFailureTimeout = 4;

    public static IEnumerable<(ConfiguredValue Setting, string Problem)> Problems(IReadOnlyList<ConfiguredValue> winners)
    {
        var provider = Find(winners, SpoolOptions.Section, nameof(SpoolOptions.Provider));
        if (provider?.Value is not { } providerValue
            || !Enum.TryParse<SpoolProvider>(providerValue, ignoreCase: true, out var kind) || kind != SpoolProvider.PostgreSql)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(Find(winners, SpoolOptions.Section, nameof(SpoolOptions.ConnectionString))?.Value))
        {
            yield return (provider, "expected Spool:ConnectionString as well (the PostgreSQL database the cluster's nodes share)");
        }

        var failure = Find(winners, ClusterOptions.Section, nameof(ClusterOptions.FailureTimeout));
        var heartbeat = Find(winners, ClusterOptions.Section, nameof(ClusterOptions.HeartbeatInterval));
        var defaults = new ClusterOptions();
        var failureTimeout = Parse(failure?.Value) ?? defaults.FailureTimeout;
        var heartbeatInterval = Parse(heartbeat?.Value) ?? defaults.HeartbeatInterval;
        if (failureTimeout < heartbeatInterval * MinHeartbeatsPerFailureTimeout && (failure ?? heartbeat) is { } culprit)
        {
            yield return (culprit, $"expected Cluster:FailureTimeout to be at least {MinHeartbeatsPerFailureTimeout} Cluster:HeartbeatIntervals ({failureTimeout} against {heartbeatInterval})");
        }
    }

    private static ConfiguredValue? Find(IReadOnlyList<ConfiguredValue> winners, string section, string key) =>
        winners.LastOrDefault(w => w.Key.Equals($"{section}:{key}", StringComparison.OrdinalIgnoreCase));

    private static TimeSpan? Parse(string? value) =>
        TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) ? span : null;
}
