using MtaCluster.Mail;
namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>One forward path of a transaction with its DSN parameters (RFC 3461 §4.1, §4.2).</summary>
public sealed class TransactionRecipient
{
    public TransactionRecipient(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Address = address;
    }

    /// <summary>The mailbox without angle brackets.</summary>
    public string Address { get; }

    public DsnNotify Notify { get; init; }

    /// <summary>The ORCPT address, decoded (no xtext); null sends no ORCPT.</summary>
    public string? OriginalRecipient { get; init; }

    /// <summary>
    /// The ORCPT address type. "rfc822" with a non-ASCII address is sent as "utf-8" in its
    /// xtext form (RFC 6533 §3), which every DSN server can carry.
    /// </summary>
    public string OriginalRecipientType { get; init; } = "rfc822";

    public override string ToString() => Address;
}
