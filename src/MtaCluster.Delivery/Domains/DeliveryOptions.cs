using MtaCluster.Smtp.Client.Connection;

namespace MtaCluster.Delivery.Domains;

/// <summary>The "Delivery" section of node.yaml.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Accept and spool, but deliver nothing (like Postfix's defer_transports): for maintenance and benchmarks of the accept path.</summary>
    /// <remarks>Changes live on SIGHUP; read by every domain at each decision, hence volatile.</remarks>
    public bool Hold { get => _hold; set => _hold = value; }

    private volatile bool _hold;

    /// <summary>Port of the MX hosts. 25 on the Internet; tests point it at a receiver on a high port.</summary>
    public int RemotePort { get; set; } = 25;

    /// <summary>Name sent in EHLO; the machine name when unset.</summary>
    public string? HeloName { get; set; }

    /// <summary>Domain policy file; cluster-config/domains.yaml when unset.</summary>
    public string? DomainsFile { get; set; }

    /// <summary>
    /// Outbound connections open at once on this node, over all domains (each domain's policy limits
    /// it further). Never more than half the process's open-file limit, whatever is configured here.
    /// </summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>Due recipients a domain pulls from the spool in one query.</summary>
    public int FetchBatchSize { get; set; } = 500;

    /// <summary>
    /// A busy domain re-reads the spool at most this often: new mail arriving at thousands of
    /// messages a second wakes it once per interval, not once per message.
    /// </summary>
    public TimeSpan FetchInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Domains delivering at once on this node; the others wait their turn in due-time order (see
    /// <see cref="DomainWakeScheduler"/>). Bounds connections, memory and DNS traffic when a restart
    /// finds thousands of domains due at the same moment.
    /// </summary>
    public int MaxActiveDomains { get; set; } = DomainWakeScheduler.DefaultMaxActiveDomains;

    /// <summary>
    /// After the spool failed to record outcomes or to be read, how long a domain waits before it
    /// sends again: at once would repeat deliveries the receiver already accepted, or fail again.
    /// </summary>
    public TimeSpan StoreFailureHoldOff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a delivering domain reads its suspension from the spool again. An operator's suspend
    /// or resume wakes the owner at once; this bounds how long one whose wake-up was lost goes unseen.
    /// </summary>
    public TimeSpan SuspensionRecheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A recipient still deferred this long after it was queued gets a delay DSN (RFC 3464 Action:
    /// delayed), at most one per such interval, when its NOTIFY includes DELAY or is absent.
    /// </summary>
    public TimeSpan DelayNoticeAfter { get; set; } = TimeSpan.FromHours(4);

    /// <summary>
    /// Share of a domain's sends bulk mail keeps while transactional mail to the same domain waits
    /// too, from 0 (transactional always first) to 0.5 (the lanes alternate); see
    /// <see cref="Scheduling.DomainSendScheduler{T}"/>.
    /// </summary>
    public double BulkFloor { get; set; } = DefaultBulkFloor;

    public const double DefaultBulkFloor = 0.10;

    /// <summary>An open connection with nothing to send is closed (QUIT) after this long.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The accounting log; its directory is taken relative to the node's data dir.</summary>
    public Accounting.AccountingLogOptions Accounting { get; set; } = new() { Directory = "accounting" };

    /// <summary>
    /// The SMTP client: timeouts (RFC 5321 §4.5.3.2 by default), pipelining, TLS protocols. The TLS
    /// policy and recipients per transaction come from each destination's policy instead.
    /// </summary>
    public SmtpClientOptions Client { get; set; } = new();

    public SmtpClientOptions CreateClientOptions(Policies.DomainPolicy policy)
    {
        var options = Client.Clone();
        options.MaxRecipientsPerTransaction = policy.MaxRecipientsPerTransaction;
        options.TlsPolicy = policy.Tls;
        return options;
    }
}
