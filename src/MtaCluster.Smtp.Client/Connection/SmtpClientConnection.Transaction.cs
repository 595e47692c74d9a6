using System.Buffers;
using System.Text;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Transactions;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>The mail transaction: local checks, MAIL/RCPT/DATA pipelined or one by one, the content, RSET.</summary>
public sealed partial class SmtpClientConnection
{
    /// <summary>
    /// Runs one mail transaction. Checks SIZE, SMTPUTF8, 8BITMIME and BINARYMIME locally first, and
    /// refuses content holding a NUL (554 5.6.0) before anything is sent; pipelines MAIL, RCPT… and
    /// DATA when the server offers PIPELINING; sends the content only when at least one recipient
    /// was accepted, ending the data only at its own final dot. Never throws for anything the server does.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller cancelled; the connection is closed.</exception>
    /// <exception cref="InvalidOperationException">Another operation is in progress on this connection.</exception>
    public async Task<TransactionResult> SendAsync(MessageTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        IReadOnlyList<TransactionRecipient> recipients = transaction.Recipients;
        var ledger = new RecipientLedger(recipients);
        bool dsn = Capabilities.Supports(SmtpExtensions.Dsn);

        SmtpReply? refusal = CheckLocally(transaction, out bool smtpUtf8);
        if (refusal is not null)
        {
            ledger.DecideAll(refusal.IsPermanent ? RecipientStatus.PermanentFailure : RecipientStatus.TransientFailure, refusal);
            return new TransactionResult(ledger.Results, null, null, null, dsn);
        }

        if (!_usable || _disposed)
        {
            var failure = new SmtpFailure(SmtpFailureKind.NotUsable, LocalReplies.NotUsable(RemoteEndPoint), "The connection is no longer usable.");
            ledger.DecideAll(RecipientStatus.TryAgain, failure.Reply);
            return new TransactionResult(ledger.Results, null, null, failure, dsn);
        }

        int toSend = ledger.Admit(Math.Max(1, _options.MaxRecipientsPerTransaction));
        if (toSend == 0)
        {
            return new TransactionResult(ledger.Results, null, null, null, dsn);
        }

        CancellationTokenRegistration registration = Enter(cancellationToken);
        TransactionCount++;
        bool reused = TransactionCount > 1;
        SmtpReply? mailReply = null;
        SmtpReply? dataReply = null;
        try
        {
            bool pipelining = _options.UsePipelining && Capabilities.Supports(SmtpExtensions.Pipelining);
            SmtpCommandWriter.WriteMailFrom(_writer, transaction, Capabilities.Extensions, smtpUtf8);
            int accepted;
            if (pipelining)
            {
                // RFC 2920 §3.1: MAIL, every RCPT and DATA go as one group; replies come back in order.
                for (int i = 0; i < ledger.Count; i++)
                {
                    if (ledger.IsOpen(i))
                    {
                        SmtpCommandWriter.WriteRcptTo(_writer, recipients[i], dsn);
                    }
                }

                SmtpCommandWriter.WriteData(_writer);
                await FlushAsync(_options.MailTimeout, "sending MAIL").ConfigureAwait(false);
                mailReply = await ReadReplyAsync(_options.MailTimeout, MailSlot, "after MAIL").ConfigureAwait(false);
                accepted = 0;
                for (int i = 0; i < ledger.Count; i++)
                {
                    if (ledger.IsOpen(i))
                    {
                        SmtpReply rcptReply = await ReadReplyAsync(_options.RcptTimeout, RcptSlot, "after RCPT").ConfigureAwait(false);
                        if (mailReply.IsPositiveCompletion && ledger.OnRcptReply(i, rcptReply, accepted))
                        {
                            accepted++;
                        }
                        else if (!mailReply.IsPositiveCompletion)
                        {
                            ledger.HoldForMailReply(i, rcptReply);
                        }
                    }
                }

                dataReply = await ReadReplyAsync(_options.DataInitiationTimeout, DataSlot, "after DATA").ConfigureAwait(false);
                if (!mailReply.IsPositiveCompletion)
                {
                    ledger.DecideByMailReply(mailReply);
                    await AbandonTransactionAsync(dataReply).ConfigureAwait(false);
                    return new TransactionResult(ledger.Results, mailReply, null, null, dsn);
                }

                if (accepted == 0)
                {
                    await AbandonTransactionAsync(dataReply).ConfigureAwait(false);
                    return new TransactionResult(ledger.Results, mailReply, dataReply.Code == 354 ? null : dataReply, null, dsn);
                }
            }
            else
            {
                await FlushAsync(_options.MailTimeout, "sending MAIL").ConfigureAwait(false);
                mailReply = await ReadReplyAsync(_options.MailTimeout, MailSlot, "after MAIL").ConfigureAwait(false);
                if (!mailReply.IsPositiveCompletion)
                {
                    ledger.DecideByMailReply(mailReply);
                    return new TransactionResult(ledger.Results, mailReply, null, null, dsn);
                }

                accepted = 0;
                bool tooMany = false;
                for (int i = 0; i < ledger.Count; i++)
                {
                    if (!ledger.IsOpen(i))
                    {
                        continue;
                    }

                    if (tooMany)
                    {
                        // The server has said it takes no more (RFC 5321 §4.5.3.1.10); don't ask again.
                        ledger.Postpone(i, accepted);
                        continue;
                    }

                    SmtpCommandWriter.WriteRcptTo(_writer, recipients[i], dsn);
                    await FlushAsync(_options.RcptTimeout, "sending RCPT").ConfigureAwait(false);
                    SmtpReply rcptReply = await ReadReplyAsync(_options.RcptTimeout, RcptSlot, "after RCPT").ConfigureAwait(false);
                    if (ledger.OnRcptReply(i, rcptReply, accepted))
                    {
                        accepted++;
                    }
                    else if (ledger.IsPostponed(i))
                    {
                        tooMany = true;
                    }
                }

                if (accepted == 0)
                {
                    await ResetAsync().ConfigureAwait(false);
                    return new TransactionResult(ledger.Results, mailReply, null, null, dsn);
                }

                SmtpCommandWriter.WriteData(_writer);
                await FlushAsync(_options.DataInitiationTimeout, "sending DATA").ConfigureAwait(false);
                dataReply = await ReadReplyAsync(_options.DataInitiationTimeout, DataSlot, "after DATA").ConfigureAwait(false);
            }

            if (dataReply.Code != 354)
            {
                if (dataReply.IsPositive)
                {
                    throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, "after DATA", dataReply.ToLine()), "DATA answered with a positive reply other than 354.");
                }

                ledger.DecideAccepted(dataReply);
                await ResetAsync().ConfigureAwait(false);
                return new TransactionResult(ledger.Results, mailReply, dataReply, null, dsn);
            }

            await WriteContentAsync(transaction.Content, transaction.BeforeEndOfData, cancellationToken).ConfigureAwait(false);
            dataReply = await ReadReplyAsync(_options.DataTerminationTimeout, EndOfDataSlot, "after end of data").ConfigureAwait(false);
            if (dataReply.IsPositiveIntermediate)
            {
                throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, "after end of data", dataReply.ToLine()), "End of data answered with a 3xx reply.");
            }

            ledger.DecideAccepted(dataReply);
            return new TransactionResult(ledger.Results, mailReply, dataReply, null, dsn);
        }
        catch (SmtpConnectionException e)
        {
            // A drop or timeout after DATA may have delivered anyway; retrying is the at-least-once
            // side of that doubt (RFC 5321 §6.1). On a reused connection a failure before MAIL was
            // accepted says the connection was stale, not that these recipients had a bad attempt.
            // Abandoned by the caller before the dot: not an attempt that reached the receiver's decision.
            RecipientStatus status = (reused && mailReply is null) || e.Failure.Kind == SmtpFailureKind.Abandoned
                ? RecipientStatus.TryAgain
                : RecipientStatus.TransientFailure;
            ledger.DecideOpen(status, e.Failure.Reply);

            return new TransactionResult(ledger.Results, mailReply, dataReply, e.Failure, dsn);
        }
        catch (OperationCanceledException) when (_callerCancelled)
        {
            MarkUnusable(new SmtpFailure(SmtpFailureKind.NotUsable, LocalReplies.NotUsable(RemoteEndPoint), "Cancelled during a transaction."));
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            Exit(registration);
        }
    }

    private SmtpReply? CheckLocally(MessageTransaction transaction, out bool smtpUtf8)
    {
        smtpUtf8 = false;
        if (!SmtpCommandWriter.IsSafeOnCommandLine(transaction.ReversePath))
        {
            return LocalReplies.BadSender();
        }

        bool needsUtf8 = transaction.RequiresSmtpUtf8 || !Ascii.IsValid(transaction.ReversePath);
        if (!needsUtf8)
        {
            foreach (TransactionRecipient recipient in transaction.Recipients)
            {
                if (!Ascii.IsValid(recipient.Address))
                {
                    needsUtf8 = true;
                    break;
                }
            }
        }

        if (needsUtf8)
        {
            if (!Capabilities.Supports(SmtpExtensions.SmtpUtf8))
            {
                return LocalReplies.SmtpUtf8NotOffered(RemoteEndPoint);
            }

            smtpUtf8 = true;
        }

        if (transaction.BodyType == MessageBodyType.BinaryMime)
        {
            return LocalReplies.BinaryNotSupported();
        }

        // Checked before MAIL, since content cannot be taken back once DATA has started.
        if (transaction.Content.Span.Contains((byte)0))
        {
            return LocalReplies.NulInContent();
        }

        // RFC 6152 §3: converting to 7 bit means re-encoding MIME parts (and breaking DKIM
        // signatures over them); refusing is the other choice the RFC gives, and ours.
        if (transaction.BodyType == MessageBodyType.EightBitMime && !Capabilities.Supports(SmtpExtensions.EightBitMime))
        {
            return LocalReplies.EightBitNotOffered(RemoteEndPoint);
        }

        // RFC 1870 §6: a message the server declared too big would be refused after the upload.
        if (Capabilities.MaxMessageSize is long limit && transaction.Content.Length > limit)
        {
            return LocalReplies.MessageTooBig(transaction.Content.Length, limit);
        }

        return null;
    }

    /// <summary>
    /// After a pipelined group in which nothing can be delivered. RFC 2920 §3.1: the client cannot
    /// assume DATA was refused; if it got 354, a lone dot ends the empty message, otherwise RSET.
    /// </summary>
    private async Task AbandonTransactionAsync(SmtpReply dataReply)
    {
        if (dataReply.Code == 354)
        {
            _writer.Write(".\r\n"u8);
            await FlushAsync(_options.DataBlockTimeout, "sending end of data").ConfigureAwait(false);
            await ReadReplyAsync(_options.DataTerminationTimeout, EndOfDataSlot, "after end of data").ConfigureAwait(false);
        }
        else
        {
            await ResetAsync().ConfigureAwait(false);
        }
    }

    /// <summary>RSET (RFC 5321 §4.1.1.5); a connection that cannot even reset is not reused.</summary>
    private async Task ResetAsync()
    {
        SmtpCommandWriter.WriteRset(_writer);
        await FlushAsync(_options.RsetTimeout, "sending RSET").ConfigureAwait(false);
        SmtpReply reply = await ReadReplyAsync(_options.RsetTimeout, RsetSlot, "after RSET").ConfigureAwait(false);
        if (!reply.IsPositiveCompletion)
        {
            MarkUnusable(new SmtpFailure(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, "after RSET", reply.ToLine()), $"RSET refused: {reply.ToLine()}"));
            CloseTransport();
        }
    }

    /// <summary>
    /// The content through a <see cref="DotStuffingWriter"/>, straight into the pipe: no stuffed copy
    /// of the message is made. The pipe is flushed every <see cref="SmtpClientOptions.DataFlushThreshold"/>
    /// bytes of content, each flush one data block under the RFC 5321 §4.5.3.2.5 timeout; a message
    /// below the threshold goes with its terminating dot in one flush.
    /// </summary>
    private async Task WriteContentAsync(ReadOnlyMemory<byte> content, Func<CancellationToken, Task<bool>>? beforeEndOfData, CancellationToken cancellationToken)
    {
        int threshold = Math.Max(4096, _options.DataFlushThreshold);
        var stuffing = new DotStuffingWriter(_writer);
        for (int start = 0; start < content.Length; start += threshold)
        {
            int take = Math.Min(threshold, content.Length - start);
            stuffing.Write(content.Span.Slice(start, take));
            if (start + take < content.Length)
            {
                await FlushAsync(_options.DataBlockTimeout, "sending data").ConfigureAwait(false);
            }
        }

        if (beforeEndOfData is not null)
        {
            // Everything but the dot is sent first, so the wait overlaps nothing the receiver waits for but the dot.
            await FlushAsync(_options.DataBlockTimeout, "sending data").ConfigureAwait(false);
            if (!await beforeEndOfData(cancellationToken).ConfigureAwait(false))
                throw Fail(SmtpFailureKind.Abandoned, LocalReplies.Abandoned(RemoteEndPoint), "The transaction was abandoned before the end of data.");
        }
        stuffing.Complete();
        await FlushAsync(_options.DataBlockTimeout, "sending data").ConfigureAwait(false);
    }
}
