using System.Globalization;
using Microsoft.Extensions.Configuration;
using MtaCluster.Delivery.Tenants;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// What the Tenants section and Delivery:BulkFloor must satisfy beyond their types: the binder would
/// take a weight of 0, a lane given as a number or a user listed under two tenants, and the node
/// would then send nobody's mail, or send one user's mail as whichever tenant it met first.
/// </summary>
internal static class TenantConfigurationRules
{
    public const double MaxBulkFloor = 0.5;

    /// <summary>A mistake in the key itself: a tenant name that cannot go into the spool and the logs.</summary>
    public static string? KeyProblem(string[] segments) =>
        IsTenants(segments) && segments.Length > 1 && !TenantName.IsValid(TenantName.Normalize(segments[1])) ? TenantName.Rule : null;

    /// <summary>What the value should have been, or null when it is fine (or not one of these settings).</summary>
    public static string? ValueProblem(string[] segments, string value)
    {
        if (segments.Length == 2 && Is(segments, "Delivery", "BulkFloor"))
        {
            return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var floor) && floor is >= 0 and <= MaxBulkFloor
                ? null
                : $"expected a number from 0 to {MaxBulkFloor.ToString(CultureInfo.InvariantCulture)} (above it bulk would outrank transactional mail)";
        }
        if (!IsTenants(segments) || segments.Length != 3) return null;
        var setting = segments[2];
        if (setting.Equals(nameof(TenantOptions.Weight), StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var weight) && weight >= 1 ? null : "expected a whole number of at least 1";
        }
        if (setting.Equals(nameof(TenantOptions.DefaultLane), StringComparison.OrdinalIgnoreCase))
        {
            // The enum converter would also take "1" or "Bulk, Transactional".
            return value.Trim().ToLowerInvariant() is "bulk" or "transactional" ? null : "expected bulk or transactional";
        }
        if (setting.Equals(nameof(TenantOptions.MaxMessagesPerHour), StringComparison.OrdinalIgnoreCase))
        {
            return value.Length == 0 || int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rate) && rate >= 0
                ? null
                : "expected 0 (no limit) or a whole number of messages";
        }
        return null;
    }

    /// <summary>
    /// Each AUTH user listed under a second tenant: the setting that lists it again (a higher layer,
    /// or further down the same file), and the tenant that had it first.
    /// </summary>
    public static IEnumerable<(ConfiguredValue Setting, string FirstTenant)> UsersListedTwice(IEnumerable<ConfiguredValue> winners)
    {
        var listings = winners
            .Select(setting => (Setting: setting, Segments: setting.Key.Split(ConfigurationPath.KeyDelimiter)))
            .Where(l => IsTenants(l.Segments) && l.Segments.Length == 4 && !string.IsNullOrEmpty(l.Setting.Value)
                && l.Segments[2].Equals(nameof(TenantOptions.Users), StringComparison.OrdinalIgnoreCase))
            .OrderBy(l => l.Setting.Layer)
            .ThenBy(l => PositionOf(l.Setting).Line)
            .ThenBy(l => PositionOf(l.Setting).Column);
        // Case-insensitive, as Smtp:Auth:Users names are.
        var owner = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (setting, segments) in listings)
        {
            var tenant = TenantName.Normalize(segments[1]);
            if (!owner.TryAdd(setting.Value!, tenant) && owner[setting.Value!] != tenant) yield return (setting, owner[setting.Value!]);
        }
    }

    private static SourcePosition PositionOf(ConfiguredValue setting) =>
        ConfigurationProvenance.Describe(setting.Provider, setting.Key, ofValue: true).Position ?? default;

    private static bool IsTenants(string[] segments) => segments[0].Equals(TenantsOptions.Section, StringComparison.OrdinalIgnoreCase);

    private static bool Is(string[] segments, string section, string key) =>
        segments[0].Equals(section, StringComparison.OrdinalIgnoreCase) && segments[1].Equals(key, StringComparison.OrdinalIgnoreCase);
}
