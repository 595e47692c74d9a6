using MtaCluster.Mail;

namespace MtaCluster.Delivery.Classification;

/// <summary>
/// Puts every failure and deferral into a <see cref="BounceCategory"/>: configured text rules first
/// (servers word the same condition under many codes), then the RFC 3463 enhanced status code (from the
/// reply, or found in its text), then the basic RFC 5321 reply code.
/// </summary>
public sealed class BounceClassifier
{
    private readonly IReadOnlyList<BounceRule> _rules;

    public BounceClassifier(IEnumerable<BounceRule>? rules = null)
    {
        _rules = rules?.ToArray() ?? BounceRule.Defaults;
    }

    public IReadOnlyList<BounceRule> Rules => _rules;

    public BounceCategory Classify(SmtpReply reply) => Classify(reply.Code, reply.EnhancedCode?.ToString(), reply.Text);

    public BounceCategory Classify(int code, string? enhancedCode, string text)
    {
        text ??= string.Empty;
        // The one line of SmtpReply.ToLine, which backoff patterns match too: a rule sees a multi-line reply the same way in both.
        if (text.Contains('\n')) text = text.Replace('\n', ' ');
        var line = string.IsNullOrEmpty(enhancedCode) ? $"{code} {text}" : $"{code} {enhancedCode} {text}";
        foreach (var rule in _rules)
        {
            try
            {
                if (rule.Pattern.IsMatch(line))
                {
                    return rule.Category;
                }
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                // A pathological pattern on a hostile reply must not stall delivery; skip the rule.
            }
        }

        if (EnhancedStatusCode.TryParse(enhancedCode, out var enhanced))
        {
            return FromEnhanced(enhanced);
        }

        if (EnhancedStatusCode.TryExtract(text, out var embedded))
        {
            return FromEnhanced(embedded.Value);
        }

        return FromBasic(code);
    }

    /// <summary>The category for an enhanced status code alone (RFC 3463 §3 and the IANA registry).</summary>
    public static BounceCategory FromEnhanced(EnhancedStatusCode code) => (code.Subject, code.Detail) switch
    {
        // X.1.x addressing status.
        (1, 1) or (1, 3) or (1, 4) or (1, 6) => BounceCategory.BadMailbox,
        (1, 2) => BounceCategory.BadDomain,
        (1, 10) => BounceCategory.BadDomain, // RFC 7505 null MX
        (1, 7) or (1, 8) => BounceCategory.PolicyRelated, // our sender address was refused
        (1, _) => BounceCategory.Other,

        // X.2.x mailbox status.
        (2, 1) => BounceCategory.InactiveMailbox,
        (2, 2) => BounceCategory.QuotaIssues,
        (2, 3) => BounceCategory.ContentRelated, // message longer than the mailbox accepts
        (2, _) => BounceCategory.Other,

        // X.3.x mail system status.
        (3, 1) => BounceCategory.QuotaIssues,
        (3, 3) => BounceCategory.ProtocolErrors,
        (3, 4) => BounceCategory.ContentRelated,
        (3, _) => BounceCategory.Other,

        // X.4.x network and routing status.
        (4, 1) or (4, 2) => BounceCategory.NoAnswerFromHost,
        (4, 7) => BounceCategory.MessageExpired,
        (4, _) => BounceCategory.RoutingErrors,

        // X.5.x protocol status, X.6.x content, X.7.x security and policy.
        (5, _) => BounceCategory.ProtocolErrors,
        (6, _) => BounceCategory.ContentRelated,
        (7, _) => BounceCategory.PolicyRelated,

        _ => BounceCategory.Other,
    };

    /// <summary>The category for a basic reply code, the last resort when no enhanced code is known (RFC 5321 §4.2.3).</summary>
    public static BounceCategory FromBasic(int code) => code switch
    {
        550 or 551 or 553 => BounceCategory.BadMailbox,
        452 or 552 => BounceCategory.QuotaIssues,
        >= 500 and <= 504 or 555 => BounceCategory.ProtocolErrors,
        _ => BounceCategory.Other,
    };
}
