using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Unicode;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// One SMTP connection from greeting to close: the ESMTP dialogue, AUTH, relay policy and limits; DATA and
/// BDAT bodies go to <see cref="IMessageSpool"/> and the 250 is sent only once the spool has committed.
/// Replies are written without flushing and flushed when the input buffered so far has been processed,
/// so a pipelined batch (RFC 2920) costs one send. <see cref="RunAsync"/> disposes the transport.
/// This file holds the connection: the read loop, command dispatch, timeouts and reply writing; AUTH is
/// in SmtpSession.Auth.cs, TLS in SmtpSession.Tls.cs, and the mail transaction (MAIL, RCPT, DATA, BDAT,
/// the spool commit) in SmtpSession.Transaction.cs.
/// </summary>
public sealed partial class SmtpSession
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

    private static readonly EncodedReply HelpReply = new(214, new(2, 0, 0),
        "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\nSee RFC 5321");

    private readonly ISmtpTransport _transport;
    private readonly SmtpListenerOptions _listener;
    private readonly SmtpServerContext _context;
    private readonly SmtpServerOptions _options;
    private readonly ILogger _logger;
    private readonly IPAddress _clientAddress;
    private readonly bool _trustedClient;
    private readonly string _clientLiteral;

    private CancellationTokenSource? _timeout;
    private SmtpSessionState _state = SmtpSessionState.Connected;
    private InputMode _mode = InputMode.Command;
    private PendingAction _pending;
    private string? _heloName;
    private bool _extended;
    private int _badCommands;

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
        _chunkReader = new BdatChunkReader(_options.Content.StripNul);
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
                Refused(RefusalKind.MalformedInput, SmtpReplies.EarlyTalker);
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
            return RefusedCommand(SmtpReplies.BareLineEndingInCommand);
        }
        line = line[..^1];
        if (line.IndexOf((byte)0) >= 0)
        {
            _mode = InputMode.Command;
            return RefusedCommand(SmtpReplies.NulInCommand);
        }
        if (line.IndexOf((byte)'\r') >= 0)
        {
            _mode = InputMode.Command;
            return RefusedCommand(SmtpReplies.BareLineEndingInCommand);
        }

        try
        {
            return _mode == InputMode.AuthResponse ? ContinueAuth(line) : ExecuteCommand(line, ref buffer);
        }
        catch (SmtpProtocolException ex)
        {
            // MAIL with a SIZE over the limit (RFC 1870 §6.1) is the one oversize refusal made before any content.
            if (ex.Reply == SmtpReplies.MessageTooBig) Refused(RefusalKind.MessageTooBig, ex.Reply);
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
                return BeginData(buffer, next);

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
    /// <summary>Runs what needs awaiting; false closes the connection.</summary>
    private async Task<bool> RunPendingAsync(PendingAction action, CancellationToken cancellationToken)
    {
        if (action == PendingAction.Authenticate) return await AuthenticateAsync(cancellationToken).ConfigureAwait(false);
        if (action == PendingAction.Accept) await AcceptMessageAsync(cancellationToken).ConfigureAwait(false);
        return true;
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
    private async Task SendFinalAsync(EncodedReply reply)
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

    private void Write(EncodedReply reply) => reply.WriteTo(_transport.Output);

    private Step Reply(EncodedReply reply)
    {
        Write(reply);
        return Step.Continue;
    }

    private Step BadCommand(EncodedReply reply)
    {
        // RFC 5321 §7.8 lets a server close on clients that only send errors.
        if (++_badCommands >= _options.MaxBadCommands)
        {
            Refused(RefusalKind.TooManyErrors, SmtpReplies.TooManyErrors, "bad_commands", _badCommands);
            Write(SmtpReplies.TooManyErrors);
            return Step.Close;
        }
        Write(reply);
        return Step.Continue;
    }

    /// <summary>A command line a smuggling attempt is made of (bare CR or LF, NUL): refused, logged, and counted as a bad command.</summary>
    private Step RefusedCommand(EncodedReply reply)
    {
        Refused(RefusalKind.MalformedInput, reply);
        return BadCommand(reply);
    }

    private void Refused(RefusalKind kind, EncodedReply reply, string? detailKey = null, object? detailValue = null) =>
        RefusalLog.Refused(_logger, _context.Refusals, kind, _clientAddress, _listener.Name, reply, detailKey, detailValue);

    private static bool IsSyntaxOrSequenceError(EncodedReply reply) => reply.Code is >= 500 and <= 504 or 555;

    private static bool StartsWithAuth(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 5) return false;
        Span<byte> head = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(head);
        return Ascii.EqualsIgnoreCase(head, "AUTH "u8);
    }
}
