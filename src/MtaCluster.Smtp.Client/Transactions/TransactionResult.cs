using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>The outcome of <see cref="SmtpClientConnection.SendAsync"/>: one result per recipient, in order.</summary>
public sealed class TransactionResult
{
    internal TransactionResult(RecipientResult[] recipients, SmtpReply? mailReply, SmtpReply? dataReply, SmtpFailure? connectionFailure, bool dsnParametersSent)
    {
        Recipients = recipients;
        MailReply = mailReply;
        DataReply = dataReply;
        ConnectionFailure = connectionFailure;
        DsnParametersSent = dsnParametersSent;
    }

    /// <summary>Same order as <see cref="MessageTransaction.Recipients"/>.</summary>
    public IReadOnlyList<RecipientResult> Recipients { get; }

    public SmtpReply? MailReply { get; }

    /// <summary>The final reply after the end of data, or the refusal of DATA itself; null if not reached.</summary>
    public SmtpReply? DataReply { get; }

    /// <summary>Set when the connection failed (timeout, drop, 421, protocol error) during the transaction; the connection is then no longer usable.</summary>
    public SmtpFailure? ConnectionFailure { get; }

    /// <summary>
    /// False when the server lacks DSN and NOTIFY/ORCPT/RET/ENVID were withheld: RFC 3461 §4.1
    /// then asks the sender's MTA to issue a "relayed" DSN for NOTIFY=SUCCESS recipients.
    /// </summary>
    public bool DsnParametersSent { get; }

    public int Count(RecipientStatus status)
    {
        int n = 0;
        foreach (RecipientResult r in Recipients)
        {
            if (r.Status == status)
            {
                n++;
            }
        }

        return n;
    }
}
