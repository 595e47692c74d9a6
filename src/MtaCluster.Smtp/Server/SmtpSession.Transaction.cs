using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MtaCluster.Mail;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// The mail transaction (RFC 5321 §3.3): MAIL, RCPT, the DATA body or BDAT chunks, and the spool commit
/// that must be durable before the 250.
/// </summary>
public sealed partial class SmtpSession
{
    private readonly DataBodyReader _dataReader = new();
    private readonly BdatChunkReader _chunkReader;
    private readonly List<ReceivedRecipient> _recipients = new();

    private MailFromCommand? _mail;
    private MessageBuffer? _body;
    private bool _dataStarted;

    private Step Mail(ReadOnlySpan<byte> arguments, SmtpSessionState next)
    {
        // RFC 4954 §6: 530 when the listener demands AUTH, and on submission from a network it has no
        // reason to trust (RFC 6409 §4.3) even where an operator turned RequireAuth off.
        if (_authenticatedUser is null && (_listener.RequiresAuth || _listener.IsSubmission && !_trustedClient))
        {
            Refused(RefusalKind.AuthRequired, SmtpReplies.AuthRequired);
            return Reply(SmtpReplies.AuthRequired);
        }
        // RFC 3463 4.3.1 before the client sends any content, rather than a 451 after all of it; the session
        // stays open so the client may try again once space is back.
        if (_context.Capacity is { HasRoomForNewMail: false })
        {
            Refused(RefusalKind.SpoolFull, SmtpReplies.InsufficientStorage);
            return Reply(SmtpReplies.InsufficientStorage);
        }
        var mail = SmtpCommandParser.ParseMailFrom(arguments, _options.MaxMessageSize);
        ResetTransaction();
        _mail = mail;
        _state = next;
        return Reply(SmtpReplies.SenderOk);
    }

    private Step Rcpt(ReadOnlySpan<byte> arguments, SmtpSessionState next)
    {
        // RFC 5321 §4.5.3.1.8: a server may refuse recipients past its limit with 452, and the client retries them later.
        if (_recipients.Count >= _options.MaxRecipients) return Reply(SmtpReplies.TooManyRecipients);
        var rcpt = SmtpCommandParser.ParseRcptTo(arguments, _mail!.SmtpUtf8);
        // This MTA has no local domains: every recipient is a relay recipient.
        if (!_trustedClient && _authenticatedUser is null)
        {
            Refused(RefusalKind.RelayDenied, SmtpReplies.RelayDenied, "rcpt", LogValue.Escape(rcpt.Recipient.Address));
            return Reply(SmtpReplies.RelayDenied);
        }
        _recipients.Add(new ReceivedRecipient(rcpt.Recipient.Address, rcpt.Recipient.RoutingDomain, rcpt.Notify, rcpt.OriginalRecipient));
        _state = next;
        return Reply(SmtpReplies.RecipientOk);
    }

    /// <summary>DATA: <paramref name="buffered"/> is what the client sent behind the command.</summary>
    private Step BeginData(in ReadOnlySequence<byte> buffered, SmtpSessionState next)
    {
        if (!buffered.IsEmpty)
        {
            // Anything buffered behind DATA was sent before our 354 existed (RFC 2920 §3.1: DATA ends a
            // group). It is either an early talker or a body we cannot frame safely; refuse and close.
            Refused(RefusalKind.MalformedInput, SmtpReplies.ImproperPipelining);
            ResetTransaction();
            Write(SmtpReplies.ImproperPipelining);
            return Step.Close;
        }
        _body = new MessageBuffer();
        _dataReader.Start(_body, _options.MaxMessageSize, _options.MaxTextLineLength, _options.Content.StripNul);
        _dataStarted = false;
        _mode = InputMode.Data;
        _state = next;
        return Reply(SmtpReplies.StartData);
    }

    private Step AdvanceData(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty) return Step.NeedMoreData;
        _dataStarted = true;
        if (!_dataReader.TryRead(ref buffer)) return Step.NeedMoreData;
        _mode = InputMode.Command;
        if (_dataReader.ErrorReply is { } error)
        {
            RefusedMessage(error);
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
            return Reply(error);
        }
        if (_dataReader.ContainsNul) LogStrippedNul();
        _pending = PendingAction.Accept;
        return Step.Pending;
    }

    private Step BeginChunk(ReadOnlySpan<byte> arguments)
    {
        var (size, last) = SmtpCommandParser.ParseBdat(arguments);
        _mode = InputMode.Chunk;
        if (!SmtpStateTable.TryGetNext(_state, SmtpCommandKind.Bdat, out var next))
        {
            _chunkReader.Begin(size, last, sink: null, SmtpReplies.BadSequence);
            return Step.Continue;
        }
        _body ??= new MessageBuffer();
        EncodedReply? error = null;
        if (_body.Length + size > _options.MaxMessageSize)
        {
            error = SmtpReplies.MessageTooBig;
            _body.Clear();
        }
        _chunkReader.Begin(size, last, _body, error);
        _state = next;
        return Step.Continue;
    }

    private Step AdvanceChunk(ref ReadOnlySequence<byte> buffer)
    {
        if (!_chunkReader.TryRead(ref buffer)) return Step.NeedMoreData;
        _mode = InputMode.Command;
        if (_chunkReader.Error is { } error)
        {
            if (error == SmtpReplies.BadSequence) return BadCommand(error);
            // RFC 3030 §2: after a failed chunk the transaction is over; later BDATs get 503.
            RefusedMessage(error);
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
            return Reply(error);
        }
        if (!_chunkReader.IsLast)
            return Reply(new EncodedReply(250, new(2, 0, 0), _chunkReader.Size.ToString(CultureInfo.InvariantCulture) + " octets received"));
        if (_chunkReader.CompleteMessage() is { } refused)
        {
            RefusedMessage(refused);
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
            return Reply(refused);
        }
        if (_chunkReader.ContainsNul) LogStrippedNul();
        _pending = PendingAction.Accept;
        return Step.Pending;
    }

    private async Task AcceptMessageAsync(CancellationToken cancellationToken)
    {
        var spool = _context.Spool;
        var mail = _mail!;
        string id = spool.NewMessageId();
        var now = _context.TimeProvider.GetUtcNow();
        // The spool stores the body from the session's pooled segments, so they stay the session's
        // until the spool has answered and go back to the pool only then.
        using var body = _body!;
        _body = null;
        ReceivedMessage message;
        try
        {
            message = new ReceivedMessage
            {
                Id = id,
                ReversePath = mail.Sender?.Address ?? "",
                Recipients = _recipients.ToArray(),
                DeclaredSize = mail.Size,
                BodyType = mail.Body,
                SmtpUtf8 = mail.SmtpUtf8,
                Return = mail.Return,
                EnvelopeId = mail.EnvelopeId,
                ClientAddress = _clientAddress,
                ClientHelo = _heloName ?? "",
                AuthenticatedUser = _authenticatedUser,
                ClientTrusted = _trustedClient,
                ListenerName = _listener.Name,
                ReceivedAt = now,
                Content = BuildContent(body, id, now),
            };
        }
        finally
        {
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
        }

        using var commit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        commit.CancelAfter(_options.DataTerminationTimeout);
        try
        {
            await spool.AcceptAsync(message, commit.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.LogWarning(ex, "Spool refused message {Id} from {Client}", id, _clientAddress);
            Write(SmtpReplies.SpoolFailed);
            return;
        }
        // The guard saves boxing and a params array on every message when Information is off.
        if (_logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("Queued {Id} from {Client} on {Listener}: {Size} bytes, {Count} recipients",
                id, _clientAddress, _listener.Name, message.Content.Length, message.Recipients.Count);
        }
        SmtpReplies.QueuedAs.WriteTo(_transport.Output, id);
    }

    /// <summary>
    /// The Received header and, on submission, the Message-ID and Date RFC 6409 §8 allows adding, as a
    /// small prefix of their own: the body stays in the pooled segments it arrived in.
    /// </summary>
    private MessageContent BuildContent(MessageBuffer body, string id, DateTimeOffset now)
    {
        string date = now.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        string protocol = ReceivedHeaderBuilder.ProtocolName(
            _extended, _mail?.SmtpUtf8 == true, _transport.IsSecure, _authenticatedUser is not null);
        byte[] receivedBytes = ReceivedHeaderBuilder.Build(
            _heloName, _clientLiteral, _transport.SecurityDescription, _context.HostName, protocol, id,
            _recipients.Count == 1 ? _recipients[0].Address : null, date);
        var sequence = body.AsSequence();
        if (!_listener.IsSubmission) return new MessageContent(receivedBytes, sequence);

        var (hasMessageId, hasDate) = MessageHeaderScanner.Scan(sequence);
        if (hasMessageId && hasDate) return new MessageContent(receivedBytes, sequence);
        string added = (hasMessageId ? "" : $"Message-ID: <{id}@{_context.HostName}>\r\n") + (hasDate ? "" : $"Date: {date}\r\n");
        var prefix = new byte[receivedBytes.Length + Encoding.ASCII.GetByteCount(added)];
        receivedBytes.CopyTo(prefix, 0);
        Encoding.ASCII.GetBytes(added, prefix.AsSpan(receivedBytes.Length));
        return new MessageContent(prefix, sequence);
    }

    private void RefusedMessage(EncodedReply reply) =>
        Refused(reply == SmtpReplies.MessageTooBig ? RefusalKind.MessageTooBig : RefusalKind.MalformedInput, reply);

    private void LogStrippedNul() =>
        _logger.LogInformation("Stripped NUL characters from a message of {Client} on {Listener}", _clientAddress, _listener.Name);

    private void ResetTransaction()
    {
        _chunkReader.Reset();
        _mail = null;
        _recipients.Clear();
        _body?.Dispose();
        _body = null;
    }
}
