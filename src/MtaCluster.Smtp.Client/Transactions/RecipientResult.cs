using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>What became of one recipient of a transaction.</summary>
public readonly struct RecipientResult
{
    public RecipientResult(TransactionRecipient recipient, RecipientStatus status, SmtpReply reply, SmtpReply? rcptReply)
    {
        Recipient = recipient;
        Status = status;
        Reply = reply;
        RcptReply = rcptReply;
    }

    public TransactionRecipient Recipient { get; }

    public RecipientStatus Status { get; }

    /// <summary>
    /// The reply that decided the status: the final reply after the data for an accepted recipient,
    /// the RCPT reply for a refused one, the MAIL or DATA reply when those failed, or a local reply.
    /// </summary>
    public SmtpReply Reply { get; }

    /// <summary>The server's reply to this recipient's RCPT; null when RCPT was not sent or not answered.</summary>
    public SmtpReply? RcptReply { get; }

    public override string ToString() => $"{Recipient.Address}: {Status} ({Reply.ToLine()})";
}
