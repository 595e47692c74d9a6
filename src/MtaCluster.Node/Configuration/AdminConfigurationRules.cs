using MtaCluster.Node.Admin;

namespace MtaCluster.Node.Configuration;

/// <summary>What the Admin section's values must be beyond their types: a listen address the endpoint can bind.</summary>
internal static class AdminConfigurationRules
{
    public static string? ValueProblem(string[] segments, string value) =>
        segments.Length == 2
        && segments[0].Equals(AdminOptions.Section, StringComparison.OrdinalIgnoreCase)
        && segments[1].Equals(nameof(AdminOptions.Listen), StringComparison.OrdinalIgnoreCase)
        && !AdminListenAddress.TryParse(value, out _)
            ? $"expected {AdminListenAddress.Expected}"
            : null;
}
