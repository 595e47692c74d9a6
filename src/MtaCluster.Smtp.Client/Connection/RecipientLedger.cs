using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Transactions;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>
/// Where each recipient of one transaction stands while it runs: not yet sent, refused, accepted
/// and waiting for the reply after the data, or decided. Every recipient ends with exactly one
/// <see cref="RecipientResult"/>, and the reply that decided it.
/// </summary>
internal sealed class RecipientLedger
{
    // Accepted by RCPT, waiting for the reply after the data; never left in a returned result.
    private const RecipientStatus AwaitingData = (RecipientStatus)(-1);

    private readonly IReadOnlyList<TransactionRecipient> _recipients;
    private readonly RecipientResult[] _results;

    public RecipientLedger(IReadOnlyList<TransactionRecipient> recipients)
    {
        _recipients = recipients;
        _results = new RecipientResult[recipients.Count];
    }

    public int Count => _results.Length;

    /// <summary>Handed to <see cref="TransactionResult"/> once the transaction is over.</summary>
    public RecipientResult[] Results => _results;

    public TransactionRecipient this[int index] => _recipients[index];

    /// <summary>Nothing decided yet: its RCPT is still to be sent, or was sent and not answered.</summary>
    public bool IsOpen(int index) => _results[index].Reply is null;

    /// <summary>The RCPT reply said "not in this transaction" (<see cref="RecipientStatus.TryAgain"/>).</summary>
    public bool IsPostponed(int index) => _results[index].Status == RecipientStatus.TryAgain;

    /// <summary>The same outcome for everyone, e.g. a local refusal before MAIL.</summary>
    public void DecideAll(RecipientStatus status, SmtpReply reply)
    {
        for (int i = 0; i < _results.Length; i++)
        {
            _results[i] = new RecipientResult(_recipients[i], status, reply, null);
        }
    }

    /// <summary>
    /// Refuses addresses that cannot go on a command line and postpones those beyond the
    /// per-transaction limit; returns how many RCPTs are to be sent.
    /// </summary>
    public int Admit(int limit)
    {
        int toSend = 0;
        for (int i = 0; i < _results.Length; i++)
        {
            TransactionRecipient recipient = _recipients[i];
            if (!SmtpCommandWriter.IsSafeOnCommandLine(recipient.Address))
            {
                _results[i] = new RecipientResult(recipient, RecipientStatus.PermanentFailure, LocalReplies.BadRecipient(), null);
            }
            else if (toSend == limit)
            {
                _results[i] = new RecipientResult(recipient, RecipientStatus.TryAgain, LocalReplies.TooManyRecipients(limit), null);
            }
            else
            {
                toSend++;
            }
        }

        return toSend;
    }

    /// <summary>Records the RCPT reply; true when the recipient was accepted and waits for the data.</summary>
    public bool OnRcptReply(int index, SmtpReply reply, int acceptedSoFar)
    {
        RecipientStatus status;
        if (reply.IsPositiveCompletion)
        {
            status = AwaitingData;
        }
        else if (IsTooManyRecipients(reply, acceptedSoFar))
        {
            status = RecipientStatus.TryAgain;
        }
        else if (reply.IsPermanent)
        {
            status = RecipientStatus.PermanentFailure;
        }
        else
        {
            status = RecipientStatus.TransientFailure;
        }

        _results[index] = new RecipientResult(_recipients[index], status, reply, reply);
        return status == AwaitingData;
    }

    /// <summary>A pipelined RCPT answered after a refused MAIL: the MAIL reply decides, the RCPT reply is kept.</summary>
    public void HoldForMailReply(int index, SmtpReply rcptReply) =>
        _results[index] = new RecipientResult(_recipients[index], AwaitingData, rcptReply, rcptReply);

    /// <summary>Not asked after the server said it takes no more (RFC 5321 §4.5.3.1.10).</summary>
    public void Postpone(int index, int accepted) =>
        _results[index] = new RecipientResult(_recipients[index], RecipientStatus.TryAgain, LocalReplies.TooManyRecipients(accepted), null);

    /// <summary>MAIL was refused: every recipient not yet decided gets its class.</summary>
    public void DecideByMailReply(SmtpReply mailReply)
    {
        RecipientStatus status = mailReply.IsPermanent ? RecipientStatus.PermanentFailure : RecipientStatus.TransientFailure;
        for (int i = 0; i < _results.Length; i++)
        {
            if (_results[i].Reply is null || _results[i].Status == AwaitingData)
            {
                _results[i] = new RecipientResult(_recipients[i], status, mailReply, _results[i].RcptReply);
            }
        }
    }

    /// <summary>The reply after the data (or the refusal of DATA) decides every accepted recipient.</summary>
    public void DecideAccepted(SmtpReply reply)
    {
        RecipientStatus status = reply.IsPositiveCompletion ? RecipientStatus.Delivered
            : reply.IsPermanent ? RecipientStatus.PermanentFailure
            : RecipientStatus.TransientFailure;
        for (int i = 0; i < _results.Length; i++)
        {
            if (_results[i].Status == AwaitingData && _results[i].Reply is not null)
            {
                _results[i] = new RecipientResult(_results[i].Recipient, status, reply, _results[i].RcptReply);
            }
        }
    }

    /// <summary>The connection failed: everyone not yet decided, accepted ones included, gets its reply.</summary>
    public void DecideOpen(RecipientStatus status, SmtpReply reply)
    {
        for (int i = 0; i < _results.Length; i++)
        {
            if (_results[i].Reply is null || _results[i].Status == AwaitingData)
            {
                _results[i] = new RecipientResult(_recipients[i], status, reply, _results[i].RcptReply);
            }
        }
    }

    /// <summary>
    /// RFC 5321 §4.5.3.1.10: "452 too many recipients", or 552 from servers that follow RFC 821's
    /// mistake, means "send the rest in another transaction" only once some recipient got through
    /// in this one. Said to the first RCPT it is the receiver refusing us for now (a daily quota, or
    /// 452 "insufficient storage" without an enhanced code): retrying at once would loop.
    /// </summary>
    private static bool IsTooManyRecipients(SmtpReply reply, int acceptedSoFar) =>
        acceptedSoFar > 0 && (reply.EnhancedCode is { Class: 4 or 5, Subject: 5, Detail: 3 } || (reply.Code == 452 && reply.EnhancedCode is null));
}
