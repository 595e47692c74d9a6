namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// An RFC 5321 §4.1.2 Mailbox. <see cref="Domain"/> is as the client wrote it; <see cref="RoutingDomain"/>
/// is the lower-case A-label (or the address literal) that MX lookup and per-domain throttling key on.
/// </summary>
public sealed record SmtpMailbox(string LocalPart, string Domain, string RoutingDomain)
{
    public bool IsAddressLiteral => Domain.StartsWith('[');

    public string Address => LocalPart + "@" + Domain;

    public override string ToString() => Address;
}
