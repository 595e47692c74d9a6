namespace MtaCluster.Smtp.Server;

/// <summary>
/// Everything the SMTP server is configured by. Lists are null by default rather than pre-filled, because
/// configuration binding appends to a pre-filled list instead of replacing it; null means the defaults.
/// Maps are pre-filled: binding merges a configured entry over the one of the same key.
/// </summary>
public sealed class SmtpServerOptions
{
    /// <summary>The name in the greeting, EHLO reply and Received header; the machine name when null.</summary>
    public string? HostName { get; set; }

    /// <summary>
    /// Keyed by listener name, starting from <see cref="SmtpListenerOptions.Defaults"/> (relay 127.0.0.1:2525,
    /// submission 0.0.0.0:2587, submissions 0.0.0.0:2465 with implicit TLS). A configured entry binds over the
    /// default of its name, so Smtp:Listeners:relay:Port moves only that port; a new name adds a listener and
    /// Enabled: false turns one off. A map, not a list: configuration layers merge lists by index, and setting
    /// entry 0 from the environment silently dropped the other listeners.
    /// </summary>
    public Dictionary<string, SmtpListenerOptions> Listeners { get; set; } = SmtpListenerOptions.Defaults();

    /// <summary>CIDR blocks that may relay without AUTH. Null: 127.0.0.0/8 and ::1.</summary>
    public List<string>? TrustedNetworks { get; set; }

    /// <summary>PEM certificate and key. With neither, a self-signed certificate is kept in <see cref="DataDirectory"/>.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificateKeyPath { get; set; }

    /// <summary>Where the generated self-signed certificate lives; with none it is generated in memory at each start.</summary>
    public string? DataDirectory { get; set; }

    public bool CreateSelfSignedCertificate { get; set; } = true;

    /// <summary>What the server does with message content it does not pass on as sent.</summary>
    public SmtpContentOptions Content { get; set; } = new();

    /// <summary>Who may AUTH; offered after STARTTLS on every listener, demanded where RequireAuth is on.</summary>
    public Auth.SmtpAuthOptions Auth { get; set; } = new();

    public long MaxMessageSize { get; set; } = 35L * 1024 * 1024;

    public int MaxRecipients { get; set; } = 1000;

    /// <summary>RFC 5321 §4.5.3.1.4: 512 octets including CRLF.</summary>
    public int MaxCommandLineLength { get; set; } = 512;

    /// <summary>RFC 5321 §4.5.3.1.6: 1000 octets including CRLF.</summary>
    public int MaxTextLineLength { get; set; } = 1000;

    public int MaxBadCommands { get; set; } = 10;

    public int MaxAuthFailures { get; set; } = 3;

    /// <summary>
    /// Refusal lines (relay denied, failed AUTH, limits, oversize, malformed input) logged per second for
    /// each kind of refusal; past it they are counted and the count logged when lines resume. 0: no limit.
    /// </summary>
    public int RefusalLogLinesPerSecond { get; set; } = 5;

    public int MaxConnections { get; set; } = 1000;

    public int MaxConnectionsPerClient { get; set; } = 50;

    // RFC 5321 §4.5.3.2: the server waits for a command at least as long as a client waits for the matching reply.
    public TimeSpan InitialTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan MailTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan RcptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan DataInitiationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan DataBlockTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Bounds the spool commit after the final dot; the client waits this long for our 250 (§4.5.3.2.6).</summary>
    public TimeSpan DataTerminationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>§4.5.3.2.7: waiting for the next command outside a mail transaction.</summary>
    public TimeSpan ServerIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Wait this long before the greeting and refuse clients that talk first (554 5.5.0). Zero turns the
    /// check off: bulk submitters open many connections and each would pay the delay.
    /// </summary>
    public TimeSpan GreetingDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The enabled listeners, each named after its key: the defaults in their order, then the others by name.</summary>
    public IReadOnlyList<SmtpListenerOptions> EffectiveListeners() =>
        [.. InStartOrder().Where(e => e.Value.Enabled).Select(e => e.Value.Named(e.Key))];

    /// <summary>Names of the listeners turned off with Enabled: false, in the order of <see cref="EffectiveListeners"/>.</summary>
    public IReadOnlyList<string> DisabledListeners() => [.. InStartOrder().Where(e => !e.Value.Enabled).Select(e => e.Key)];

    private IEnumerable<KeyValuePair<string, SmtpListenerOptions>> InStartOrder()
    {
        string[] defaults = [SmtpListenerOptions.RelayName, SmtpListenerOptions.SubmissionName, SmtpListenerOptions.SubmissionsName];
        return Listeners
            .OrderBy(e => Array.FindIndex(defaults, d => string.Equals(d, e.Key, StringComparison.OrdinalIgnoreCase)) is var i and >= 0 ? i : defaults.Length)
            .ThenBy(e => e.Key, StringComparer.Ordinal);
    }

    public string EffectiveHostName() => string.IsNullOrWhiteSpace(HostName) ? Environment.MachineName.ToLowerInvariant() : HostName!;
}
