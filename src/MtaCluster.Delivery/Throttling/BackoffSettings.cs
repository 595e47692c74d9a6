using System.Text.RegularExpressions;
using MtaCluster.Delivery.Classification;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// Adaptive backoff, after PowerMTA's <c>backoff-to-normal-after</c> / <c>mx-backoff</c> mode: a reply
/// matching one of <see cref="Patterns"/> drops the domain to <see cref="MaxConnections"/> and
/// <see cref="MaxMessagesPerMinute"/>, pauses it for <see cref="RetryInterval"/>, and every
/// <see cref="RecoverAfter"/> consecutive successes multiply the limits by <see cref="RecoveryFactor"/>
/// until the policy's own limits are reached again.
/// </summary>
/// <param name="Patterns">Regexes matched against the reply line (<see cref="SmtpReply.ToLine"/>).</param>
/// <param name="MaxConnections">Concurrent connections while backed off.</param>
/// <param name="MaxMessagesPerMinute">Message rate while backed off; null keeps the policy rate.</param>
/// <param name="RetryInterval">How long the domain pauses after a backoff reply.</param>
/// <param name="RecoverAfter">Consecutive successful deliveries per recovery step.</param>
/// <param name="RecoveryFactor">Multiplier applied to connections and rate at each recovery step.</param>
public sealed record BackoffSettings(
    IReadOnlyList<Regex> Patterns,
    int MaxConnections,
    int? MaxMessagesPerMinute,
    TimeSpan RetryInterval,
    int RecoverAfter,
    int RecoveryFactor)
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>The reply patterns large receivers use to say "slow down".</summary>
    public static IReadOnlyList<string> DefaultPatterns { get; } =
    [
        @"^421",
        @"try (again )?later",
        @"rate limit",
        @"too many (connections|messages)",
        @"4\.7\.0.*(deferred|throttl)",
        @"temporarily (deferred|rate limited|throttled)",
    ];

    public static BackoffSettings Default { get; } = new(
        DefaultPatterns.Select(CreatePattern).ToArray(),
        MaxConnections: 1,
        MaxMessagesPerMinute: 10,
        RetryInterval: TimeSpan.FromMinutes(10),
        RecoverAfter: 10,
        RecoveryFactor: 2);

    public static Regex CreatePattern(string pattern) =>
        new(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout);

    public bool Matches(SmtpReply reply)
    {
        if (reply.IsPositiveCompletion || Patterns.Count == 0)
        {
            return false;
        }

        var line = reply.ToLine();
        foreach (var pattern in Patterns)
        {
            try
            {
                if (pattern.IsMatch(line))
                {
                    return true;
                }
            }
            catch (RegexMatchTimeoutException)
            {
                // A hostile reply must not stall the domain; an unmatched pattern is the safe outcome.
            }
        }

        return false;
    }
}
