using System.Diagnostics.CodeAnalysis;

namespace MtaCluster.Delivery.Classification;

/// <summary>The kebab-case names of <see cref="BounceCategory"/> used in configuration and the accounting log.</summary>
public static class BounceCategoryNames
{
    private static readonly Dictionary<BounceCategory, string> Names = new()
    {
        [BounceCategory.BadMailbox] = "bad-mailbox",
        [BounceCategory.BadDomain] = "bad-domain",
        [BounceCategory.InactiveMailbox] = "inactive-mailbox",
        [BounceCategory.QuotaIssues] = "quota-issues",
        [BounceCategory.PolicyRelated] = "policy-related",
        [BounceCategory.SpamRelated] = "spam-related",
        [BounceCategory.VirusRelated] = "virus-related",
        [BounceCategory.RoutingErrors] = "routing-errors",
        [BounceCategory.ProtocolErrors] = "protocol-errors",
        [BounceCategory.ContentRelated] = "content-related",
        [BounceCategory.MessageExpired] = "message-expired",
        [BounceCategory.NoAnswerFromHost] = "no-answer-from-host",
        [BounceCategory.Other] = "other",
    };

    private static readonly Dictionary<string, BounceCategory> ByName =
        Names.ToDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every name, in declaration order of the enum.</summary>
    public static IReadOnlyCollection<string> All { get; } =
        Enum.GetValues<BounceCategory>().Select(c => Names[c]).ToArray();

    public static string ToName(this BounceCategory category) =>
        Names.TryGetValue(category, out var name) ? name : throw new ArgumentOutOfRangeException(nameof(category));

    public static bool TryParse(string? name, [NotNullWhen(true)] out BounceCategory? category)
    {
        if (name is not null && ByName.TryGetValue(name.Trim(), out var found))
        {
            category = found;
            return true;
        }

        category = null;
        return false;
    }
}
