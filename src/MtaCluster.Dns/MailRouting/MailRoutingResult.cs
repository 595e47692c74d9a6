namespace MtaCluster.Dns.MailRouting;

/// <summary>
/// Outcome of mail routing for one domain, ready to be turned into an SMTP-style reply: a status class,
/// an RFC 3463 enhanced status code and a human-readable reason.
/// </summary>
public sealed class MailRoutingResult
{
    private MailRoutingResult(
        string domain, MailRoutingStatus status, string enhancedStatusCode, string reason, IReadOnlyList<MailHost> hosts, bool isAuthenticData)
    {
        Domain = domain;
        Status = status;
        EnhancedStatusCode = enhancedStatusCode;
        Reason = reason;
        Hosts = hosts;
        IsAuthenticData = isAuthenticData;
    }

    /// <summary>The domain as asked, without a trailing dot.</summary>
    public string Domain { get; }

    public MailRoutingStatus Status { get; }

    public bool IsSuccess => Status == MailRoutingStatus.Success;

    /// <summary>"2.0.0" on success, otherwise a 4.x.x or 5.x.x code (RFC 3463, RFC 7505 §4.3).</summary>
    public string EnhancedStatusCode { get; }

    public string Reason { get; }

    /// <summary>Hosts to try in order; empty unless <see cref="IsSuccess"/>.</summary>
    public IReadOnlyList<MailHost> Hosts { get; }

    /// <summary>Whether the MX (or implicit address) answer carried AD; DANE (RFC 7672 §2.2) needs it.</summary>
    public bool IsAuthenticData { get; }

    public static MailRoutingResult Success(string domain, IReadOnlyList<MailHost> hosts, bool isAuthenticData, string reason) =>
        new(domain, MailRoutingStatus.Success, "2.0.0", reason, hosts, isAuthenticData);

    public static MailRoutingResult Permanent(string domain, string enhancedStatusCode, string reason) =>
        new(domain, MailRoutingStatus.PermanentFailure, enhancedStatusCode, reason, Array.Empty<MailHost>(), false);

    public static MailRoutingResult Temporary(string domain, string enhancedStatusCode, string reason) =>
        new(domain, MailRoutingStatus.TemporaryFailure, enhancedStatusCode, reason, Array.Empty<MailHost>(), false);

    public override string ToString() => $"{Status} {EnhancedStatusCode} {Reason}";
}
