using System.Text.RegularExpressions;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Classification;

/// <summary>
/// A text rule tried before the status-code table: when <see cref="Pattern"/> matches the reply line
/// (<see cref="SmtpReply.ToLine"/>), the reply gets <see cref="Category"/>.
/// </summary>
public sealed record BounceRule(Regex Pattern, BounceCategory Category)
{
    /// <summary>How long one rule may take on one reply before it is treated as not matching.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    public static BounceRule Create(string pattern, BounceCategory category) =>
        new(new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout), category);

    /// <summary>
    /// The rules used when the configuration has none. Order matters: the first match wins, so the
    /// specific signals (virus, spam listings) come before the generic mailbox wording they often contain.
    /// </summary>
    public static IReadOnlyList<BounceRule> Defaults { get; } =
    [
        Create(@"virus|malware|infected", BounceCategory.VirusRelated),
        Create(@"spam|blocked using|black\s?list|block\s?list|listed|unsolicited|\bRBL\b|reputation", BounceCategory.SpamRelated),
        Create(@"mailbox (is )?full|over ?quota|quota exceeded|exceeded (the )?storage|insufficient (system )?storage", BounceCategory.QuotaIssues),
        Create(@"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|recipient not found|5\.4\.1 recipient address rejected|(does not|doesn't) have an? \S+ account|invalid recipient|mailbox not found|mailbox unavailable", BounceCategory.BadMailbox),
        Create(@"disabled|inactive|suspended|deactivated", BounceCategory.InactiveMailbox),
    ];
}
