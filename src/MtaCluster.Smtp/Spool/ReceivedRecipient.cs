using MtaCluster.Mail;

namespace MtaCluster.Smtp.Spool;

/// <summary>
/// One accepted RCPT. <see cref="Domain"/> is the routing domain: lower-case A-label, or an address
/// literal such as <c>[192.0.2.1]</c>. <see cref="OriginalRecipient"/> is the decoded ORCPT (<c>rfc822;a@b</c>).
/// </summary>
public sealed record ReceivedRecipient(string Address, string Domain, DsnNotify Notify, string? OriginalRecipient);
