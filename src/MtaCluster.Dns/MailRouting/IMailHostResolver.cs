namespace MtaCluster.Dns.MailRouting;

/// <summary>Finds the SMTP servers for a recipient domain (RFC 5321 §5.1).</summary>
public interface IMailHostResolver
{
    /// <summary>
    /// Resolves <paramref name="domain"/> (an A-label, optionally with a trailing dot) to ordered mail
    /// hosts. Never throws for DNS problems: they become a temporary or permanent result. Only caller
    /// cancellation escapes, as <see cref="OperationCanceledException"/>.
    /// </summary>
    Task<MailRoutingResult> ResolveMailHostsAsync(string domain, CancellationToken cancellationToken = default);
}
