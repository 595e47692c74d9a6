using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Auth;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// One SMTP connection from greeting to close: the ESMTP dialogue, AUTH, relay policy and limits; DATA and
/// BDAT bodies go to <see cref="IMessageSpool"/> and the 250 is sent only once the spool has committed.
/// Replies are written without flushing and flushed when the input buffered so far has been processed,
/// so a pipelined batch (RFC 2920) costs one send. <see cref="RunAsync"/> disposes the transport.
/// </summary>
public sealed class SmtpSession
{
    private enum InputMode
    {
        Command,
        Data,
        Chunk,
        AuthResponse,
        DiscardLine,
    }

    private enum Step
    {
        NeedMoreData,
        Continue,
        Pending,
        Close,
    }

    private enum PendingAction
    {
        None,
        Accept,
        Authenticate,
        StartTls,
    }

    private enum AuthStep
    {
        PlainResponse,
        LoginUser,
        LoginPassword,
    }

    private static readonly SmtpReply HelpReply = new(214, "2.0.0",
        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
        "See RFC 5321");
    private static readonly SmtpReply PlainChallenge = new(334, null, "");
    private static readonly SmtpReply UserNameChallenge = new(334, null, "VXNlcm5hbWU6");
    private static readonly SmtpReply PasswordChallenge = new(334, null, "UGFzc3dvcmQ6");
    private static readonly SmtpReply AuthNotAvailable = new(502, "5.5.1", "AUTH not available");
    private static readonly SmtpReply MalformedPlain = new(501, "5.5.2", "Malformed PLAIN response");

    private readonly ISmtpTransport _transport;
    private readonly SmtpListenerOptions _listener;
    private readonly SmtpServerContext _context;
    private readonly SmtpServerOptions _options;
    private readonly ILogger _logger;
    private readonly IPAddress _clientAddress;
    private readonly bool _trustedClient;
    private readonly string _clientLiteral;
    private readonly DataBodyReader _dataReader = new();
    private readonly List<ReceivedRecipient> _recipients = new();

    private CancellationTokenSource? _timeout;
    private SmtpSessionState _state = SmtpSessionState.Connected;
    private InputMode _mode = InputMode.Command;
    private PendingAction _pending;
    private string? _heloName;
    private bool _extended;
    private string? _authenticatedUser;
    private int _badCommands;
    private int _authFailures;

    private MailFromCommand? _mail;
    private MessageBuffer? _body;
    private bool _dataStarted;
    private long _chunkSize;
    private long _chunkRemaining;
    private bool _chunkLast;
    private SmtpReply? _chunkError;

    private AuthStep _authStep;
    private string _authUser = "";
    private string _authPassword = "";

    public SmtpSession(ISmtpTransport transport, SmtpListenerOptions listener, SmtpServerContext context)
    {
        _transport = transport;
        _listener = listener;
        _context = context;
        _options = context.Options;
        _logger = context.LoggerFactory.CreateLogger<SmtpSession>();
        var address = (transport.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        _clientAddress = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        _trustedClient = context.TrustedNetworks.Contains(_clientAddress);
        _clientLiteral = AddressLiteral(_clientAddress);
    }

    public SmtpSessionState State => _state;

    /// <summary>
    /// Runs the dialogue until QUIT, a disconnect, a timeout (421 4.4.2), a limit (421 4.7.0) or
    /// cancellation, which is node shutdown and answers 421 4.3.2. Never throws for what the client does.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            if (_listener.Kind == SmtpListenerKind.ImplicitTls && !_transport.IsSecure)
            {
                if (!await TryStartTlsAsync(cancellationToken).ConfigureAwait(false)) return;
            }
            else if (_options.GreetingDelay > TimeSpan.Zero && await IsEarlyTalkerAsync(cancellationToken).ConfigureAwait(false))
            {
                _logger.LogInformation("Client {Client} on {Listener} talked before the greeting", _clientAddress, _listener.Name);
                await SendFinalAsync(SmtpReplies.EarlyTalker).ConfigureAwait(false);
                return;
            }

            Write(_context.Greeting);
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            await CommandLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await SendFinalAsync(SmtpReplies.ShuttingDown).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogInformation("Timeout for {Client} on {Listener} in state {State}", _clientAddress, _listener.Name, _state);
            await SendFinalAsync(SmtpReplies.Timeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or AuthenticationException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "Connection from {Client} on {Listener} ended abruptly", _clientAddress, _listener.Name);
        }
        finally
        {
            ResetTransaction();
            _timeout.Dispose();
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task CommandLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var input = _transport.Input;
            var result = await ReadAsync(input, CurrentTimeout(), cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            bool startTls = false;
            while (true)
            {
                var step = Advance(ref buffer);
                if (step == Step.NeedMoreData) break;
                if (step == Step.Close)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
                if (step == Step.Pending)
                {
                    var action = _pending;
                    _pending = PendingAction.None;
                    if (action == PendingAction.StartTls)
                    {
                        startTls = true;
                        break;
                    }
                    if (!await RunPendingAsync(action, cancellationToken).ConfigureAwait(false))
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                        await FlushAsync(cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }
            }

            if (startTls)
            {
                // RFC 3207 §6: anything pipelined after STARTTLS was sent in the clear and is discarded.
                input.AdvanceTo(result.Buffer.End);
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                if (!await TryStartTlsAsync(cancellationToken).ConfigureAwait(false)) return;
                ResetAfterTls();
                continue;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (_mode is InputMode.Data or InputMode.Chunk || _mail is not null)
                    _logger.LogInformation("Client {Client} on {Listener} disconnected in a mail transaction; nothing kept", _clientAddress, _listener.Name);
                return;
            }
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private Step Advance(ref ReadOnlySequence<byte> buffer) => _mode switch
    {
        InputMode.Data => AdvanceData(ref buffer),
        InputMode.Chunk => AdvanceChunk(ref buffer),
        InputMode.DiscardLine => AdvanceDiscard(ref buffer),
        _ => AdvanceLine(ref buffer),
    };

    private Step AdvanceLine(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty) return Step.NeedMoreData;
        int max = _mode == InputMode.AuthResponse || StartsWithAuth(buffer)
            ? SmtpCommandParser.MaxAuthLineLength
            : _options.MaxCommandLineLength;
        var reader = new SequenceReader<byte>(buffer);
        if (!SmtpCommandParser.TryReadLine(ref reader, max, out var line, out bool tooLong))
        {
            if (!tooLong) return Step.NeedMoreData;
            // Drop what is buffered so a client cannot grow the pipe without bound; reply once the line ends.
            buffer = buffer.Slice(buffer.End);
            _mode = InputMode.DiscardLine;
            return Step.NeedMoreData;
        }
        buffer = buffer.Slice(reader.Position);
        if (tooLong)
        {
            _mode = InputMode.Command;
            return BadCommand(SmtpReplies.LineTooLong);
        }

        if (line.IsSingleSegment) return ExecuteLine(line.FirstSpan, ref buffer);
        // A line split across pipe segments: copy it once (at most 12 KiB) and parse it the same way.
        var rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(rented);
            return ExecuteLine(rented.AsSpan(0, (int)line.Length), ref buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private Step AdvanceDiscard(ref ReadOnlySequence<byte> buffer)
    {
        var lf = buffer.PositionOf((byte)'\n');
        if (lf is null)
        {
            buffer = buffer.Slice(buffer.End);
            return Step.NeedMoreData;
        }
        buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
        _mode = InputMode.Command;
        return BadCommand(SmtpReplies.LineTooLong);
    }

    private Step ExecuteLine(ReadOnlySpan<byte> line, ref ReadOnlySequence<byte> buffer)
    {
        // RFC 5321 §2.3.8: lines end in CRLF; a bare CR or LF inside a command is not a line ending.
        if (line.IsEmpty || line[^1] != (byte)'\r')
        {
            _mode = InputMode.Command;
            return BadCommand(SmtpReplies.BareLineEndingInCommand);
        }
        line = line[..^1];
        if (line.IndexOf((byte)0) >= 0)
        {
            _mode = InputMode.Command;
            return BadCommand(SmtpReplies.NulInCommand);
        }
        if (line.IndexOf((byte)'\r') >= 0)
        {
            _mode = InputMode.Command;
            return BadCommand(SmtpReplies.BareLineEndingInCommand);
        }

        try
        {
            return _mode == InputMode.AuthResponse ? ContinueAuth(line) : ExecuteCommand(line, ref buffer);
        }
        catch (SmtpProtocolException ex)
        {
            return IsSyntaxOrSequenceError(ex.Reply) ? BadCommand(ex.Reply) : Reply(ex.Reply);
        }
    }

    private Step ExecuteCommand(ReadOnlySpan<byte> line, ref ReadOnlySequence<byte> buffer)
    {
        var kind = SmtpCommandParser.ParseVerb(line, out var arguments);
        if (line.IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0)
        {
            // RFC 6531 §3.2: 8-bit octets only in the addresses of an SMTPUTF8 transaction.
            if (kind is not (SmtpCommandKind.Mail or SmtpCommandKind.Rcpt)) return BadCommand(SmtpReplies.EightBitInCommand);
            if (!Utf8.IsValid(line)) return Reply(SmtpReplies.NonAsciiAddress);
        }

        if (kind == SmtpCommandKind.Unknown) return BadCommand(SmtpReplies.UnknownCommand);
        if (kind == SmtpCommandKind.Bdat) return BeginChunk(arguments);
        if (kind == SmtpCommandKind.StartTls && _transport.IsSecure) return BadCommand(SmtpReplies.AlreadyTls);
        if (!SmtpStateTable.TryGetNext(_state, kind, out var next)) return BadCommand(SmtpReplies.BadSequence);

        switch (kind)
        {
            case SmtpCommandKind.Ehlo:
            case SmtpCommandKind.Helo:
                _heloName = SmtpCommandParser.ParseHelo(arguments);
                _extended = kind == SmtpCommandKind.Ehlo;
                ResetTransaction();
                _state = next;
                if (!_extended) return Reply(_context.HeloReply);
                WriteEhloReply();
                return Step.Continue;

            case SmtpCommandKind.Mail:
                return Mail(arguments, next);

            case SmtpCommandKind.Rcpt:
                return Rcpt(arguments, next);

            case SmtpCommandKind.Data:
                if (!arguments.Trim((byte)' ').IsEmpty) return BadCommand(SmtpReplies.SyntaxNoArguments);
                if (!buffer.IsEmpty)
                {
                    // Anything buffered behind DATA was sent before our 354 existed (RFC 2920 §3.1: DATA ends a
                    // group). It is either an early talker or a body we cannot frame safely; refuse and close.
                    _logger.LogInformation("Client {Client} sent data before 354", _clientAddress);
                    ResetTransaction();
                    Write(SmtpReplies.ImproperPipelining);
                    return Step.Close;
                }
                _body = new MessageBuffer();
                _dataReader.Start(_body, _options.MaxMessageSize, _options.MaxTextLineLength);
                _dataStarted = false;
                _mode = InputMode.Data;
                _state = next;
                return Reply(SmtpReplies.StartData);

            case SmtpCommandKind.Rset:
                if (!arguments.Trim((byte)' ').IsEmpty) return BadCommand(SmtpReplies.SyntaxNoArguments);
                ResetTransaction();
                _state = next;
                return Reply(SmtpReplies.ResetOk);

            case SmtpCommandKind.Noop:
                return Reply(SmtpReplies.Ok);

            case SmtpCommandKind.Quit:
                Write(SmtpReplies.Bye);
                return Step.Close;

            case SmtpCommandKind.Vrfy:
                return Reply(SmtpReplies.CannotVerify);

            case SmtpCommandKind.Expn:
                return Reply(SmtpReplies.NotImplemented);

            case SmtpCommandKind.Help:
                return Reply(HelpReply);

            case SmtpCommandKind.StartTls:
                if (!arguments.Trim((byte)' ').IsEmpty) return BadCommand(SmtpReplies.SyntaxNoArguments);
                if (_context.Certificate is null) return Reply(SmtpReplies.TlsNotAvailable);
                Write(SmtpReplies.ReadyToStartTls);
                _pending = PendingAction.StartTls;
                return Step.Pending;

            case SmtpCommandKind.Auth:
                return BeginAuth(arguments);

            default:
                return BadCommand(SmtpReplies.UnknownCommand);
        }
    }

    private Step Mail(ReadOnlySpan<byte> arguments, SmtpSessionState next)
    {
        // RFC 6409 §4.3: a submission server refuses MAIL from a client it has no reason to trust.
        if (_listener.Kind != SmtpListenerKind.Relay && !_trustedClient && _authenticatedUser is null)
            return Reply(SmtpReplies.AuthRequired);
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
        if (!_trustedClient && _authenticatedUser is null) return Reply(SmtpReplies.RelayDenied);
        _recipients.Add(new ReceivedRecipient(rcpt.Recipient.Address, rcpt.Recipient.RoutingDomain, rcpt.Notify, rcpt.OriginalRecipient));
        _state = next;
        return Reply(SmtpReplies.RecipientOk);
    }

    private Step AdvanceData(ref ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsEmpty) return Step.NeedMoreData;
        _dataStarted = true;
        if (!_dataReader.TryRead(ref buffer)) return Step.NeedMoreData;
        _mode = InputMode.Command;
        if (_dataReader.ErrorReply is { } error)
        {
            _logger.LogInformation("Message from {Client} rejected: {Reply}", _clientAddress, error);
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
            return Reply(error);
        }
        _pending = PendingAction.Accept;
        return Step.Pending;
    }

    private LineEndingValidator _chunkLineEndings;

    private Step BeginChunk(ReadOnlySpan<byte> arguments)
    {
        var (size, last) = SmtpCommandParser.ParseBdat(arguments);
        _chunkSize = _chunkRemaining = size;
        _chunkLast = last;
        _chunkError = null;
        _mode = InputMode.Chunk;
        // RFC 3030 §2: a refused chunk is still read off the wire, or its bytes would be taken as commands.
        if (!SmtpStateTable.TryGetNext(_state, SmtpCommandKind.Bdat, out var next))
        {
            _chunkError = SmtpReplies.BadSequence;
            return Step.Continue;
        }
        _body ??= new MessageBuffer();
        if (_body.Length + size > _options.MaxMessageSize)
        {
            _chunkError = SmtpReplies.MessageTooBig;
            _body.Clear();
        }
        _state = next;
        return Step.Continue;
    }

    private Step AdvanceChunk(ref ReadOnlySequence<byte> buffer)
    {
        if (_chunkRemaining > 0)
        {
            if (buffer.IsEmpty) return Step.NeedMoreData;
            long n = Math.Min(_chunkRemaining, buffer.Length);
            if (_chunkError is null)
            {
                foreach (var segment in buffer.Slice(0, n))
                {
                    _body!.Write(segment.Span);
                    _chunkLineEndings.Feed(segment.Span);
                }
            }
            buffer = buffer.Slice(n);
            _chunkRemaining -= n;
            if (_chunkRemaining > 0) return Step.NeedMoreData;
        }

        _mode = InputMode.Command;
        if (_chunkError is { } error)
        {
            _chunkError = null;
            if (error == SmtpReplies.BadSequence) return BadCommand(error);
            // RFC 3030 §2: after a failed chunk the transaction is over; later BDATs get 503.
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
            return Reply(error);
        }
        if (!_chunkLast)
            return Reply(new SmtpReply(250, "2.0.0", _chunkSize.ToString(CultureInfo.InvariantCulture) + " octets received"));
        var lineEndingsValid = _chunkLineEndings.Complete();
        _chunkLineEndings.Reset();
        if (!lineEndingsValid)
        {
            ResetTransaction();
            _state = SmtpSessionState.Greeted;
            return Reply(SmtpReplies.BareLineEndingInData);
        }
        _pending = PendingAction.Accept;
        return Step.Pending;
    }

    private Step BeginAuth(ReadOnlySpan<byte> arguments)
    {
        if (_authenticatedUser is not null) return BadCommand(SmtpReplies.AlreadyAuthenticated);
        if (_context.Authenticator is null) return BadCommand(AuthNotAvailable);
        // RFC 4954 §4 and RFC 8314 §3: credentials only over TLS.
        if (!_transport.IsSecure) return Reply(SmtpReplies.EncryptionRequired);
        var (mechanism, initial) = SmtpCommandParser.ParseAuth(arguments);
        switch (mechanism)
        {
            case "PLAIN":
                _authStep = AuthStep.PlainResponse;
                if (initial is null)
                {
                    _mode = InputMode.AuthResponse;
                    return Reply(PlainChallenge);
                }
                return ContinueAuth(Encoding.ASCII.GetBytes(initial));
            case "LOGIN":
                _authStep = AuthStep.LoginUser;
                if (initial is null)
                {
                    _mode = InputMode.AuthResponse;
                    return Reply(UserNameChallenge);
                }
                return ContinueAuth(Encoding.ASCII.GetBytes(initial));
            default:
                return BadCommand(SmtpReplies.UnknownMechanism);
        }
    }

    private Step ContinueAuth(ReadOnlySpan<byte> response)
    {
        _mode = InputMode.Command;
        if (response.SequenceEqual("*"u8)) return Reply(SmtpReplies.AuthCancelled);
        if (!SaslDecoder.TryDecodeBase64(Encoding.ASCII.GetString(response), out var decoded)) return BadCommand(SmtpReplies.BadBase64);
        switch (_authStep)
        {
            case AuthStep.PlainResponse:
                if (!SaslDecoder.TryParsePlain(decoded, out _authUser, out _authPassword)) return BadCommand(MalformedPlain);
                _pending = PendingAction.Authenticate;
                return Step.Pending;
            case AuthStep.LoginUser:
                _authUser = decoded;
                _authStep = AuthStep.LoginPassword;
                _mode = InputMode.AuthResponse;
                return Reply(PasswordChallenge);
            default:
                _authPassword = decoded;
                _pending = PendingAction.Authenticate;
                return Step.Pending;
        }
    }

    /// <summary>Runs what needs awaiting; false closes the connection.</summary>
    private async Task<bool> RunPendingAsync(PendingAction action, CancellationToken cancellationToken)
    {
        if (action == PendingAction.Authenticate)
        {
            bool ok = await _context.Authenticator!.AuthenticateAsync(_authUser, _authPassword, cancellationToken).ConfigureAwait(false);
            _authPassword = "";
            if (ok)
            {
                _authenticatedUser = _authUser;
                _logger.LogInformation("Client {Client} authenticated as {User}", _clientAddress, _authUser);
                Write(SmtpReplies.AuthSucceeded);
                return true;
            }
            _logger.LogInformation("Client {Client} failed AUTH as {User}", _clientAddress, _authUser);
            Write(SmtpReplies.BadCredentials);
            if (++_authFailures < _options.MaxAuthFailures) return true;
            Write(SmtpReplies.TooManyAuthFailures);
            return false;
        }

        if (action == PendingAction.Accept) await AcceptMessageAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task AcceptMessageAsync(CancellationToken cancellationToken)
    {
        var spool = _context.Spool;
        var mail = _mail!;
        string id = spool.NewMessageId();
        var now = _context.TimeProvider.GetUtcNow();
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
                ListenerName = _listener.Name,
                ReceivedAt = now,
                Content = BuildContent(id, now),
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
        var output = _transport.Output;
        output.Write("250 2.0.0 Ok: queued as "u8);
        WriteText(output, id);
        output.Write("\r\n"u8);
    }

    /// <summary>
    /// Received header (RFC 5321 §4.4, protocol names of RFC 3848 / RFC 6531) and, on submission, the
    /// Message-ID and Date RFC 6409 §8 allows adding. One array, the prefix written in front of the body.
    /// </summary>
    private ReadOnlyMemory<byte> BuildContent(string id, DateTimeOffset now)
    {
        string date = now.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
        var received = new StringBuilder(256)
            .Append("Received: from ").Append(_heloName).Append(" (").Append(_clientLiteral).Append(")\r\n");
        if (_transport.SecurityDescription is { } tls) received.Append("\t(using ").Append(tls).Append(")\r\n");
        received.Append("\tby ").Append(_context.HostName).Append(" (MtaCluster) with ").Append(ProtocolName())
            .Append(" id ").Append(id);
        if (_recipients.Count == 1) received.Append("\r\n\tfor <").Append(_recipients[0].Address).Append('>');
        received.Append("; ").Append(date).Append("\r\n");

        byte[] receivedBytes = Encoding.UTF8.GetBytes(received.ToString());
        byte[] messageIdBytes = _listener.IsSubmission ? Encoding.ASCII.GetBytes($"Message-ID: <{id}@{_context.HostName}>\r\n") : [];
        byte[] dateBytes = _listener.IsSubmission ? Encoding.ASCII.GetBytes($"Date: {date}\r\n") : [];

        var body = _body!;
        int prefix = receivedBytes.Length + messageIdBytes.Length + dateBytes.Length;
        var content = new byte[prefix + body.Length];
        body.CopyTo(content.AsSpan(prefix));
        var (hasMessageId, hasDate) = _listener.IsSubmission ? MessageHeaderScanner.Scan(content.AsSpan(prefix)) : (true, true);
        int start = prefix;
        if (!hasDate)
        {
            start -= dateBytes.Length;
            dateBytes.CopyTo(content, start);
        }
        if (!hasMessageId)
        {
            start -= messageIdBytes.Length;
            messageIdBytes.CopyTo(content, start);
        }
        start -= receivedBytes.Length;
        receivedBytes.CopyTo(content, start);
        return content.AsMemory(start);
    }

    private string ProtocolName()
    {
        if (!_extended) return "SMTP";
        var name = _mail?.SmtpUtf8 == true ? "UTF8SMTP" : "ESMTP";
        if (_transport.IsSecure) name += "S";
        if (_authenticatedUser is not null) name += "A";
        return name;
    }

    private static string AddressLiteral(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? "[IPv6:" + address + "]" : "[" + address + "]";

    private void WriteEhloReply()
    {
        var output = _transport.Output;
        output.Write("250-"u8);
        WriteText(output, _context.HostName);
        output.Write(" Hello "u8);
        WriteText(output, _heloName);
        output.Write(" "u8);
        WriteText(output, _clientLiteral);
        output.Write("\r\n"u8);
        // RFC 3207 §4.2: STARTTLS is not offered again once TLS is up.
        bool offerStartTls = !_transport.IsSecure && _context.Certificate is not null;
        bool offerAuth = _transport.IsSecure && _context.Authenticator is not null && _authenticatedUser is null;
        output.Write(_context.EhloKeywords(offerStartTls, offerAuth));
    }

    private static void WriteText(PipeWriter output, string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private async Task<bool> TryStartTlsAsync(CancellationToken cancellationToken)
    {
        if (_context.Certificate is null)
        {
            _logger.LogWarning("Implicit TLS listener {Listener} has no certificate; closing {Client}", _listener.Name, _clientAddress);
            return false;
        }
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(_options.TlsHandshakeTimeout);
        try
        {
            await _transport.UpgradeToTlsAsync(_context.CreateTlsOptions(), handshake.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _logger.LogInformation("TLS handshake with {Client} on {Listener} failed: {Reason}", _clientAddress, _listener.Name, ex.Message);
            return false;
        }
    }

    // RFC 3207 §4.2: after the handshake the client starts over with EHLO and nothing learned before counts.
    private void ResetAfterTls()
    {
        ResetTransaction();
        _heloName = null;
        _extended = false;
        _authenticatedUser = null;
        _state = SmtpSessionState.Connected;
        _mode = InputMode.Command;
    }

    private async Task<bool> IsEarlyTalkerAsync(CancellationToken cancellationToken)
    {
        var input = _transport.Input;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_options.GreetingDelay);
        try
        {
            var result = await input.ReadAsync(wait.Token).ConfigureAwait(false);
            bool talked = !result.Buffer.IsEmpty || result.IsCompleted;
            input.AdvanceTo(result.Buffer.Start);
            return talked;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private TimeSpan CurrentTimeout() => _mode switch
    {
        InputMode.Data => _dataStarted ? _options.DataBlockTimeout : _options.DataInitiationTimeout,
        InputMode.Chunk => _options.DataBlockTimeout,
        _ => _state switch
        {
            SmtpSessionState.Connected => _options.InitialTimeout,
            SmtpSessionState.MailFrom => _options.MailTimeout,
            SmtpSessionState.RcptTo => _options.RcptTimeout,
            SmtpSessionState.Bdat => _options.DataBlockTimeout,
            _ => _options.ServerIdleTimeout,
        },
    };

    private async ValueTask<ReadResult> ReadAsync(PipeReader input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _timeout!.CancelAfter(timeout);
        try
        {
            return await input.ReadAsync(_timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
        finally
        {
            _timeout.TryReset();
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        // A client that stops reading must not hold the connection forever either.
        _timeout!.CancelAfter(_options.ServerIdleTimeout);
        try
        {
            await _transport.Output.FlushAsync(_timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
        finally
        {
            _timeout.TryReset();
        }
    }

    /// <summary>The last reply before closing; the peer may already be gone, which is fine.</summary>
    private async Task SendFinalAsync(SmtpReply reply)
    {
        try
        {
            Write(reply);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _transport.Output.FlushAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            _logger.LogDebug(ex, "Could not send the final reply to {Client}", _clientAddress);
        }
    }

    private void Write(SmtpReply reply) => reply.WriteTo(_transport.Output);

    private Step Reply(SmtpReply reply)
    {
        Write(reply);
        return Step.Continue;
    }

    private Step BadCommand(SmtpReply reply)
    {
        // RFC 5321 §7.8 lets a server close on clients that only send errors.
        if (++_badCommands >= _options.MaxBadCommands)
        {
            _logger.LogInformation("Closing {Client} after {Count} bad commands", _clientAddress, _badCommands);
            Write(SmtpReplies.TooManyErrors);
            return Step.Close;
        }
        Write(reply);
        return Step.Continue;
    }

    private static bool IsSyntaxOrSequenceError(SmtpReply reply) => reply.Code is >= 500 and <= 504 or 555;

    private static bool StartsWithAuth(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 5) return false;
        Span<byte> head = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(head);
        return Ascii.EqualsIgnoreCase(head, "AUTH "u8);
    }

    private void ResetTransaction()
    {
        _chunkLineEndings.Reset();
        _mail = null;
        _recipients.Clear();
        _body?.Dispose();
        _body = null;
        _chunkError = null;
        _chunkRemaining = 0;
    }
}
