using MtaCluster.Smtp.Client.Connection;

namespace MtaCluster.Delivery.Domains;

/// <summary>The "Delivery" section of node.yaml.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>Accept and spool, but deliver nothing (like Postfix's defer_transports): for maintenance and benchmarks of the accept path.</summary>
    public bool Hold { get; set; }

    /// <summary>Port of the MX hosts. 25 on the Internet; tests point it at a receiver on a high port.</summary>
    public int RemotePort { get; set; } = 25;

    /// <summary>Name sent in EHLO; the machine name when unset.</summary>
    public string? HeloName { get; set; }

    /// <summary>Domain policy file; cluster-config/domains.yaml when unset.</summary>
    public string? DomainsFile { get; set; }

    /// <summary>Due recipients a domain pulls from the spool in one query.</summary>
    public int FetchBatchSize { get; set; } = 500;

    /// <summary>
    /// A busy domain re-reads the spool at most this often: new mail arriving at thousands of
    /// messages a second wakes it once per interval, not once per message.
    /// </summary>
    public TimeSpan FetchInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>An open connection with nothing to send is closed (QUIT) after this long.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The accounting log; its directory is taken relative to the node's data dir.</summary>
    public Accounting.AccountingLogOptions Accounting { get; set; } = new() { Directory = "accounting" };

    public DeliveryClientTimeouts Timeouts { get; set; } = new();

    public SmtpClientOptions CreateClientOptions(Policies.DomainPolicy policy) => new()
    {
        MaxRecipientsPerTransaction = policy.MaxRecipientsPerTransaction,
        ConnectTimeout = Timeouts.Connect,
        GreetingTimeout = Timeouts.Greeting,
        EhloTimeout = Timeouts.Ehlo,
        TlsHandshakeTimeout = Timeouts.TlsHandshake,
        MailTimeout = Timeouts.Mail,
        RcptTimeout = Timeouts.Rcpt,
        DataInitiationTimeout = Timeouts.DataInitiation,
        DataBlockTimeout = Timeouts.DataBlock,
        DataTerminationTimeout = Timeouts.DataTermination,
        TlsPolicy = policy.Tls switch
        {
            Policies.TlsPolicy.None => TlsPolicy.None,
            Policies.TlsPolicy.Required => TlsPolicy.Required,
            _ => TlsPolicy.Opportunistic,
        },
    };
}

/// <summary>Client-side timeouts; the defaults are RFC 5321 §4.5.3.2's.</summary>
public sealed class DeliveryClientTimeouts
{
    public TimeSpan Connect { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan Greeting { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan Ehlo { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan TlsHandshake { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan Mail { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan Rcpt { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan DataInitiation { get; set; } = TimeSpan.FromMinutes(2);
    public TimeSpan DataBlock { get; set; } = TimeSpan.FromMinutes(3);
    public TimeSpan DataTermination { get; set; } = TimeSpan.FromMinutes(10);
}
