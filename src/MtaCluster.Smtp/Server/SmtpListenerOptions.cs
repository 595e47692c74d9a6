namespace MtaCluster.Smtp.Server;

public sealed class SmtpListenerOptions
{
    /// <summary>Names the listener in logs and in <see cref="Spool.ReceivedMessage.ListenerName"/>.</summary>
    public string Name { get; set; } = "relay";

    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 binds a free port (tests read it back from <see cref="SmtpListener.LocalEndPoint"/>).</summary>
    public int Port { get; set; } = 2525;

    public SmtpListenerKind Kind { get; set; } = SmtpListenerKind.Relay;

    /// <summary>
    /// MAIL without a successful AUTH gets 530 5.7.0, whatever network the client is in. Null: true for
    /// <see cref="SmtpListenerKind.Submission"/> and <see cref="SmtpListenerKind.ImplicitTls"/>, false for
    /// <see cref="SmtpListenerKind.Relay"/>.
    /// </summary>
    public bool? RequireAuth { get; set; }

    /// <summary>Submission listeners (RFC 6409 §8) add Message-ID and Date when missing.</summary>
    public bool IsSubmission => Kind != SmtpListenerKind.Relay;

    /// <summary>
    /// <see cref="RequireAuth"/> with its default applied. RFC 6409 §4.3 would let a submission server trust
    /// a network, but Postfix's and Exim's stock submission services authenticate everyone, and so do we.
    /// </summary>
    public bool RequiresAuth => RequireAuth ?? IsSubmission;

    public static IReadOnlyList<SmtpListenerOptions> Defaults() =>
    [
        new() { Name = "relay", Address = "127.0.0.1", Port = 2525, Kind = SmtpListenerKind.Relay },
        new() { Name = "submission", Address = "0.0.0.0", Port = 2587, Kind = SmtpListenerKind.Submission },
        new() { Name = "submissions", Address = "0.0.0.0", Port = 2465, Kind = SmtpListenerKind.ImplicitTls },
    ];
}
