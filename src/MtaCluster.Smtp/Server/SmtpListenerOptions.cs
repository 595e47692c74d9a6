namespace MtaCluster.Smtp.Server;

/// <summary>One entry of <see cref="SmtpServerOptions.Listeners"/>; its key there is its name.</summary>
public sealed class SmtpListenerOptions
{
    public const string RelayName = "relay";
    public const string SubmissionName = "submission";
    public const string SubmissionsName = "submissions";

    /// <summary>
    /// Names the listener in logs and in <see cref="Spool.ReceivedMessage.ListenerName"/>. Not a setting:
    /// <see cref="SmtpServerOptions.EffectiveListeners"/> fills it in from the entry's key.
    /// </summary>
    public string Name { get; internal set; } = RelayName;

    /// <summary>False leaves the listener out, a default one included.</summary>
    public bool Enabled { get; set; } = true;

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

    /// <summary>
    /// The listeners of a node that configures none, keyed by name, in this order. Fresh instances each
    /// time: configuration binds over them, so no two option objects may share one.
    /// </summary>
    public static Dictionary<string, SmtpListenerOptions> Defaults() => new(StringComparer.OrdinalIgnoreCase)
    {
        [RelayName] = new() { Name = RelayName, Address = "127.0.0.1", Port = 2525, Kind = SmtpListenerKind.Relay },
        [SubmissionName] = new() { Name = SubmissionName, Address = "0.0.0.0", Port = 2587, Kind = SmtpListenerKind.Submission },
        [SubmissionsName] = new() { Name = SubmissionsName, Address = "0.0.0.0", Port = 2465, Kind = SmtpListenerKind.ImplicitTls },
    };

    internal SmtpListenerOptions Named(string name)
    {
        var copy = (SmtpListenerOptions)MemberwiseClone();
        copy.Name = name;
        return copy;
    }
}
