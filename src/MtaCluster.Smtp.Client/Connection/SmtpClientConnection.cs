using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using System.Text;
using MtaCluster.Smtp.Client.Protocol;
using MtaCluster.Smtp.Client.Transactions;
using MtaCluster.Mail;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>
/// One outbound SMTP connection to one remote host: greeted, EHLO'd, optionally upgraded with
/// STARTTLS, then used for many transactions, one at a time. Everything the remote server says,
/// and every way the connection can fail, comes back as data; exceptions are left for misuse and
/// for the caller's own cancellation.
/// </summary>
/// <remarks>
/// The socket is a stream under a <see cref="PipeReader"/>/<see cref="PipeWriter"/> pair; TLS is
/// another stream under new pipes. Commands are written into the pipe and flushed once per
/// pipelined group (RFC 2920), so a message costs two writes: MAIL+RCPT…+DATA, then the content
/// with its terminating dot.
/// </remarks>
public sealed class SmtpClientConnection : IAsyncDisposable
{
    private const int MailSlot = 0;
    private const int RcptSlot = 1;
    private const int DataSlot = 2;
    private const int EndOfDataSlot = 3;
    private const int RsetSlot = 4;
    private const int CacheSlots = 5;

    // Marks a recipient whose RCPT was accepted and who waits for the reply after the data.
    private const RecipientStatus Pending = (RecipientStatus)(-1);

    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly SmtpClientOptions _options;
    private readonly SmtpReplyReader _replies;
    private Stream _stream;
    private SslStream? _tls;
    private PipeReader _reader;
    private PipeWriter _writer;
    private CancellationTokenSource _timer = new();
    private volatile bool _callerCancelled;
    private int _busy;
    private bool _usable = true;
    private bool _closed;
    private bool _disposed;

    private SmtpClientConnection(Socket socket, string heloName, string? remoteHostName, SmtpClientOptions options)
    {
        _socket = socket;
        _network = new NetworkStream(socket, ownsSocket: true);
        _stream = _network;
        _options = options;
        _replies = new SmtpReplyReader(options.MaxReplyLength, CacheSlots);
        (_reader, _writer) = CreatePipes(_stream);
        HeloName = heloName;
        RemoteHostName = remoteHostName;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Greeting = null!;
    }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The source address and port, e.g. an egress pool's address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The name the caller connected to (the MX host), used for SNI; null if not given.</summary>
    public string? RemoteHostName { get; }

    public string HeloName { get; }

    /// <summary>The 220 greeting (RFC 5321 §4.3.1).</summary>
    public SmtpReply Greeting { get; private set; }

    /// <summary>The last EHLO (or HELO) reply; after STARTTLS, the one given inside TLS.</summary>
    public SmtpReply? HelloReply { get; private set; }

    /// <summary>False when EHLO was refused and HELO used instead (RFC 5321 §3.2): no extensions.</summary>
    public bool IsExtended { get; private set; }

    public SmtpCapabilities Capabilities { get; private set; } = SmtpCapabilities.None;

    public bool IsTls => _tls is not null;

    public SslProtocols? TlsProtocol => _tls?.SslProtocol;

    public TlsCipherSuite? TlsCipherSuite => _tls?.NegotiatedCipherSuite;

    /// <summary>False after a 421, a timeout, a dropped connection, a protocol error, QUIT or dispose.</summary>
    public bool IsUsable => _usable;

    /// <summary>Why the connection stopped being usable; null while it is.</summary>
    public SmtpFailure? Failure { get; private set; }

    /// <summary>Transactions started on this connection (those refused locally before MAIL excluded).</summary>
    public int TransactionCount { get; private set; }

    public static Task<SmtpConnectResult> ConnectAsync(IPEndPoint remote, IPAddress? localAddress, string heloName, SmtpClientOptions options, CancellationToken cancellationToken = default) =>
        ConnectAsync(remote, localAddress, heloName, remoteHostName: null, options, cancellationToken);

    /// <summary>
    /// Connects from <paramref name="localAddress"/> (any when null), reads the greeting, says EHLO
    /// (HELO when EHLO is refused) and applies <see cref="SmtpClientOptions.TlsPolicy"/>.
    /// </summary>
    /// <param name="remoteHostName">The MX host name, for TLS server name indication and reporting.</param>
    public static async Task<SmtpConnectResult> ConnectAsync(IPEndPoint remote, IPAddress? localAddress, string heloName, string? remoteHostName, SmtpClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(heloName);
        if (!SmtpCommandWriter.IsSafeOnCommandLine(heloName))
        {
            throw new ArgumentException("The HELO name contains control characters.", nameof(heloName));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SmtpFailure? connectFailure = await OpenSocketAsync(socket, remote, localAddress, options, cancellationToken).ConfigureAwait(false);
        if (connectFailure is not null)
        {
            socket.Dispose();
            return SmtpConnectResult.Failed(connectFailure);
        }

        var connection = new SmtpClientConnection(socket, heloName, remoteHostName, options);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return SmtpConnectResult.Connected(connection);
        }
        catch (SmtpConnectionException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return SmtpConnectResult.Failed(e.Failure);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs one mail transaction. Checks SIZE, SMTPUTF8 and 8BITMIME locally first; pipelines
    /// MAIL, RCPT… and DATA when the server offers PIPELINING; sends the content only when at least
    /// one recipient was accepted. Never throws for anything the server does.
    /// </summary>
    /// <exception cref="OperationCanceledException">The caller cancelled; the connection is closed.</exception>
    /// <exception cref="InvalidOperationException">Another operation is in progress on this connection.</exception>
    public async Task<TransactionResult> SendAsync(MessageTransaction transaction, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        IReadOnlyList<TransactionRecipient> recipients = transaction.Recipients;
        var results = new RecipientResult[recipients.Count];
        bool dsn = Capabilities.Supports(SmtpExtensions.Dsn);

        SmtpReply? refusal = CheckLocally(transaction, out bool smtpUtf8);
        if (refusal is not null)
        {
            Decide(results, recipients, refusal.IsPermanent ? RecipientStatus.PermanentFailure : RecipientStatus.TransientFailure, refusal);
            return new TransactionResult(results, null, null, null, dsn);
        }

        if (!_usable || _disposed)
        {
            var failure = new SmtpFailure(SmtpFailureKind.NotUsable, LocalReplies.NotUsable(RemoteEndPoint), "The connection is no longer usable.");
            Decide(results, recipients, RecipientStatus.TryAgain, failure.Reply);
            return new TransactionResult(results, null, null, failure, dsn);
        }

        int toSend = PrepareRecipients(results, recipients);
        if (toSend == 0)
        {
            return new TransactionResult(results, null, null, null, dsn);
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
                for (int i = 0; i < results.Length; i++)
                {
                    if (results[i].Reply is null)
                    {
                        SmtpCommandWriter.WriteRcptTo(_writer, recipients[i], dsn);
                    }
                }

                SmtpCommandWriter.WriteData(_writer);
                await FlushAsync(_options.MailTimeout, "sending MAIL").ConfigureAwait(false);
                mailReply = await ReadReplyAsync(_options.MailTimeout, MailSlot, "after MAIL").ConfigureAwait(false);
                accepted = 0;
                for (int i = 0; i < results.Length; i++)
                {
                    if (results[i].Reply is null)
                    {
                        SmtpReply rcptReply = await ReadReplyAsync(_options.RcptTimeout, RcptSlot, "after RCPT").ConfigureAwait(false);
                        if (mailReply.IsPositiveCompletion && ClassifyRcpt(results, recipients, i, rcptReply, accepted))
                        {
                            accepted++;
                        }
                        else if (!mailReply.IsPositiveCompletion)
                        {
                            results[i] = new RecipientResult(recipients[i], Pending, rcptReply, rcptReply);
                        }
                    }
                }

                dataReply = await ReadReplyAsync(_options.DataInitiationTimeout, DataSlot, "after DATA").ConfigureAwait(false);
                if (!mailReply.IsPositiveCompletion)
                {
                    DecideByMailReply(results, recipients, mailReply);
                    await AbandonTransactionAsync(dataReply).ConfigureAwait(false);
                    return new TransactionResult(results, mailReply, null, null, dsn);
                }

                if (accepted == 0)
                {
                    await AbandonTransactionAsync(dataReply).ConfigureAwait(false);
                    return new TransactionResult(results, mailReply, dataReply.Code == 354 ? null : dataReply, null, dsn);
                }
            }
            else
            {
                await FlushAsync(_options.MailTimeout, "sending MAIL").ConfigureAwait(false);
                mailReply = await ReadReplyAsync(_options.MailTimeout, MailSlot, "after MAIL").ConfigureAwait(false);
                if (!mailReply.IsPositiveCompletion)
                {
                    DecideByMailReply(results, recipients, mailReply);
                    return new TransactionResult(results, mailReply, null, null, dsn);
                }

                accepted = 0;
                bool tooMany = false;
                for (int i = 0; i < results.Length; i++)
                {
                    if (results[i].Reply is not null)
                    {
                        continue;
                    }

                    if (tooMany)
                    {
                        // The server has said it takes no more (RFC 5321 §4.5.3.1.10); don't ask again.
                        results[i] = new RecipientResult(recipients[i], RecipientStatus.TryAgain, LocalReplies.TooManyRecipients(accepted), null);
                        continue;
                    }

                    SmtpCommandWriter.WriteRcptTo(_writer, recipients[i], dsn);
                    await FlushAsync(_options.RcptTimeout, "sending RCPT").ConfigureAwait(false);
                    SmtpReply rcptReply = await ReadReplyAsync(_options.RcptTimeout, RcptSlot, "after RCPT").ConfigureAwait(false);
                    if (ClassifyRcpt(results, recipients, i, rcptReply, accepted))
                    {
                        accepted++;
                    }
                    else if (results[i].Status == RecipientStatus.TryAgain)
                    {
                        tooMany = true;
                    }
                }

                if (accepted == 0)
                {
                    await ResetAsync().ConfigureAwait(false);
                    return new TransactionResult(results, mailReply, null, null, dsn);
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

                DecidePending(results, dataReply);
                await ResetAsync().ConfigureAwait(false);
                return new TransactionResult(results, mailReply, dataReply, null, dsn);
            }

            await WriteContentAsync(transaction.Content).ConfigureAwait(false);
            dataReply = await ReadReplyAsync(_options.DataTerminationTimeout, EndOfDataSlot, "after end of data").ConfigureAwait(false);
            if (dataReply.IsPositiveIntermediate)
            {
                throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, "after end of data", dataReply.ToLine()), "End of data answered with a 3xx reply.");
            }

            DecidePending(results, dataReply);
            return new TransactionResult(results, mailReply, dataReply, null, dsn);
        }
        catch (SmtpConnectionException e)
        {
            // A drop or timeout after DATA may have delivered anyway; retrying is the at-least-once
            // side of that doubt (RFC 5321 §6.1). On a reused connection a failure before MAIL was
            // accepted says the connection was stale, not that these recipients had a bad attempt.
            RecipientStatus status = reused && mailReply is null ? RecipientStatus.TryAgain : RecipientStatus.TransientFailure;
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i].Reply is null || results[i].Status == Pending)
                {
                    results[i] = new RecipientResult(recipients[i], status, e.Failure.Reply, results[i].RcptReply);
                }
            }

            return new TransactionResult(results, mailReply, dataReply, e.Failure, dsn);
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

    /// <summary>Says QUIT (RFC 5321 §4.1.1.10) and closes. Failures are of no consequence and are not reported.</summary>
    public async Task QuitAsync(CancellationToken cancellationToken = default)
    {
        if (!_usable || _closed)
        {
            CloseTransport();
            return;
        }

        CancellationTokenRegistration registration = Enter(cancellationToken);
        try
        {
            MarkUnusable(new SmtpFailure(SmtpFailureKind.NotUsable, LocalReplies.NotUsable(RemoteEndPoint), "QUIT was sent."));
            await SayQuitAsync().ConfigureAwait(false);
        }
        finally
        {
            Exit(registration);
            CloseTransport();
        }

        if (_callerCancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    /// <summary>QUIT when still usable and idle, then close.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        if (_usable && !_closed && Volatile.Read(ref _busy) == 0)
        {
            try
            {
                await QuitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Another operation started meanwhile; closing below ends it.
            }
        }

        _disposed = true;
        CloseTransport();
        _timer.Dispose();
    }

    public override string ToString() => $"{RemoteHostName ?? RemoteEndPoint.Address.ToString()} [{RemoteEndPoint}] from {LocalEndPoint}{(IsTls ? $" {TlsProtocol} {TlsCipherSuite}" : string.Empty)}";

    private static async Task<SmtpFailure?> OpenSocketAsync(Socket socket, IPEndPoint remote, IPAddress? localAddress, SmtpClientOptions options, CancellationToken cancellationToken)
    {
        if (localAddress is not null)
        {
            try
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }
            catch (SocketException e)
            {
                return new SmtpFailure(SmtpFailureKind.ConnectFailed, LocalReplies.ConnectFailed(remote, $"cannot bind {localAddress}: {e.SocketErrorCode}"), e.Message, e);
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(remote, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SmtpFailure(SmtpFailureKind.ConnectTimeout, LocalReplies.ConnectTimeout(remote), $"No connection to {remote} within {options.ConnectTimeout}.");
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new SmtpFailure(SmtpFailureKind.ConnectRefused, LocalReplies.ConnectRefused(remote), e.Message, e),
                SocketError.TimedOut => new SmtpFailure(SmtpFailureKind.ConnectTimeout, LocalReplies.ConnectTimeout(remote), e.Message, e),
                _ => new SmtpFailure(SmtpFailureKind.ConnectFailed, LocalReplies.ConnectFailed(remote, e.SocketErrorCode.ToString()), e.Message, e),
            };
        }
    }

    private static (PipeReader Reader, PipeWriter Writer) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true)),
         PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true)));

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        CancellationTokenRegistration registration = Enter(cancellationToken);
        try
        {
            Greeting = await ReadReplyAsync(_options.GreetingTimeout, SmtpReplyReader.NoCache, "waiting for the greeting").ConfigureAwait(false);
            if (Greeting.Code != 220)
            {
                // RFC 5321 §3.1: after a 554 greeting the client should still say QUIT.
                if (Greeting.Code != 421)
                {
                    await SayQuitAsync().ConfigureAwait(false);
                }

                throw Fail(SmtpFailureKind.GreetingRejected, Greeting, $"Greeting refused: {Greeting.ToLine()}");
            }

            await HelloAsync(allowHeloFallback: true).ConfigureAwait(false);
            if (_options.TlsPolicy != TlsPolicy.None)
            {
                await StartTlsAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_callerCancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            Exit(registration);
        }
    }

    private async Task HelloAsync(bool allowHeloFallback)
    {
        SmtpCommandWriter.WriteEhlo(_writer, HeloName, extended: true);
        await FlushAsync(_options.EhloTimeout, "sending EHLO").ConfigureAwait(false);
        SmtpReply reply = await ReadReplyAsync(_options.EhloTimeout, SmtpReplyReader.NoCache, "after EHLO").ConfigureAwait(false);
        if (reply.Code == 250)
        {
            HelloReply = reply;
            IsExtended = true;
            Capabilities = SmtpCapabilities.Parse(reply);
            _replies.EnhancedStatusCodes = Capabilities.Supports(SmtpExtensions.EnhancedStatusCodes);
            return;
        }

        // RFC 5321 §3.2 and §4.1.4: a server that does not know EHLO says 500 or 502 (501/504 from
        // some old ones); then HELO, without extensions.
        if (!allowHeloFallback || reply.Code is not (500 or 501 or 502 or 504))
        {
            await QuitUnlessClosingAsync(reply).ConfigureAwait(false);
            throw Fail(reply.Code == 421 ? SmtpFailureKind.ServiceClosing : SmtpFailureKind.HeloRejected, reply, $"EHLO refused: {reply.ToLine()}");
        }

        SmtpCommandWriter.WriteEhlo(_writer, HeloName, extended: false);
        await FlushAsync(_options.EhloTimeout, "sending HELO").ConfigureAwait(false);
        reply = await ReadReplyAsync(_options.EhloTimeout, SmtpReplyReader.NoCache, "after HELO").ConfigureAwait(false);
        if (reply.Code != 250)
        {
            await QuitUnlessClosingAsync(reply).ConfigureAwait(false);
            throw Fail(reply.Code == 421 ? SmtpFailureKind.ServiceClosing : SmtpFailureKind.HeloRejected, reply, $"EHLO and HELO refused: {reply.ToLine()}");
        }

        HelloReply = reply;
        IsExtended = false;
        Capabilities = SmtpCapabilities.None;
        _replies.EnhancedStatusCodes = false;
    }

    private async Task StartTlsAsync()
    {
        bool required = _options.TlsPolicy == TlsPolicy.Required;
        if (!Capabilities.Supports(SmtpExtensions.StartTls))
        {
            if (required)
            {
                await SayQuitAsync().ConfigureAwait(false);
                throw Fail(SmtpFailureKind.TlsNotAvailable, LocalReplies.TlsNotAvailable(RemoteEndPoint, "STARTTLS was not offered"), "STARTTLS not offered.");
            }

            return;
        }

        SmtpCommandWriter.WriteStartTls(_writer);
        await FlushAsync(_options.EhloTimeout, "sending STARTTLS").ConfigureAwait(false);
        SmtpReply reply = await ReadReplyAsync(_options.EhloTimeout, SmtpReplyReader.NoCache, "after STARTTLS").ConfigureAwait(false);
        if (reply.Code != 220)
        {
            if (reply.Code == 421)
            {
                throw Fail(SmtpFailureKind.ServiceClosing, reply, $"STARTTLS answered {reply.ToLine()}");
            }

            if (required)
            {
                await SayQuitAsync().ConfigureAwait(false);
                throw Fail(SmtpFailureKind.TlsNotAvailable, LocalReplies.TlsNotAvailable(RemoteEndPoint, $"STARTTLS was refused: {reply.ToLine()}"), $"STARTTLS refused: {reply.ToLine()}");
            }

            // RFC 3207 §4: after 454 the client may go on in clear; opportunistic does.
            return;
        }

        // RFC 3207 §6 and CVE-2011-0411: anything after the 220 but before the handshake was
        // sent in clear and could be an injected reply; a well-behaved server sends nothing.
        if (_reader.TryRead(out ReadResult leftover))
        {
            bool injected = !leftover.Buffer.IsEmpty;
            _reader.AdvanceTo(leftover.Buffer.Start);
            if (injected)
            {
                throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, "after STARTTLS", "data before the TLS handshake"), "Data after 220 to STARTTLS, before the TLS handshake.");
            }
        }

        await _reader.CompleteAsync().ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = RemoteHostName ?? RemoteEndPoint.Address.ToString(),
            EnabledSslProtocols = _options.EnabledSslProtocols,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = _options.CertificateValidation ?? AcceptAnyCertificate,
        };

        CancellationToken token = Arm(_options.TlsHandshakeTimeout);
        try
        {
            await tls.AuthenticateAsClientAsync(authentication, token).ConfigureAwait(false);
            Disarm();
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or ObjectDisposedException || (e is OperationCanceledException && !_callerCancelled))
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            string detail = e is OperationCanceledException ? $"timed out after {_options.TlsHandshakeTimeout}" : e.Message;
            SmtpFailureKind kind = required ? SmtpFailureKind.TlsHandshakeFailed : SmtpFailureKind.OpportunisticTlsFailed;
            throw Fail(kind, LocalReplies.TlsHandshakeFailed(RemoteEndPoint, detail), $"TLS handshake failed: {detail}", e);
        }

        _tls = tls;
        _stream = tls;
        (_reader, _writer) = CreatePipes(tls);

        // RFC 3207 §4.2: forget what was learnt in clear and ask again.
        Capabilities = SmtpCapabilities.None;
        _replies.EnhancedStatusCodes = false;
        await HelloAsync(allowHeloFallback: false).ConfigureAwait(false);
    }

    private static bool AcceptAnyCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate, System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) => true;

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

    private int PrepareRecipients(RecipientResult[] results, IReadOnlyList<TransactionRecipient> recipients)
    {
        int toSend = 0;
        int limit = Math.Max(1, _options.MaxRecipientsPerTransaction);
        for (int i = 0; i < results.Length; i++)
        {
            TransactionRecipient recipient = recipients[i];
            if (!SmtpCommandWriter.IsSafeOnCommandLine(recipient.Address))
            {
                results[i] = new RecipientResult(recipient, RecipientStatus.PermanentFailure, LocalReplies.BadRecipient(), null);
            }
            else if (toSend == limit)
            {
                results[i] = new RecipientResult(recipient, RecipientStatus.TryAgain, LocalReplies.TooManyRecipients(limit), null);
            }
            else
            {
                toSend++;
            }
        }

        return toSend;
    }

    /// <summary>Records the RCPT reply; true when the recipient was accepted and waits for the data.</summary>
    private static bool ClassifyRcpt(RecipientResult[] results, IReadOnlyList<TransactionRecipient> recipients, int index, SmtpReply reply, int acceptedSoFar)
    {
        RecipientStatus status;
        if (reply.IsPositiveCompletion)
        {
            status = Pending;
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

        results[index] = new RecipientResult(recipients[index], status, reply, reply);
        return status == Pending;
    }

    /// <summary>
    /// RFC 5321 §4.5.3.1.10: "452 too many recipients", or 552 from servers that follow RFC 821's
    /// mistake, means "send the rest in another transaction" only once some recipient got through
    /// in this one. Said to the first RCPT it is the receiver refusing us for now (a daily quota, or
    /// 452 "insufficient storage" without an enhanced code): retrying at once would loop.
    /// </summary>
    private static bool IsTooManyRecipients(SmtpReply reply, int acceptedSoFar) =>
        acceptedSoFar > 0 && (reply.EnhancedCode is { Class: 4 or 5, Subject: 5, Detail: 3 } || (reply.Code == 452 && reply.EnhancedCode is null));

    private static void Decide(RecipientResult[] results, IReadOnlyList<TransactionRecipient> recipients, RecipientStatus status, SmtpReply reply)
    {
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = new RecipientResult(recipients[i], status, reply, null);
        }
    }

    private static void DecideByMailReply(RecipientResult[] results, IReadOnlyList<TransactionRecipient> recipients, SmtpReply mailReply)
    {
        RecipientStatus status = mailReply.IsPermanent ? RecipientStatus.PermanentFailure : RecipientStatus.TransientFailure;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Reply is null || results[i].Status == Pending)
            {
                results[i] = new RecipientResult(recipients[i], status, mailReply, results[i].RcptReply);
            }
        }
    }

    private static void DecidePending(RecipientResult[] results, SmtpReply reply)
    {
        RecipientStatus status = reply.IsPositiveCompletion ? RecipientStatus.Delivered
            : reply.IsPermanent ? RecipientStatus.PermanentFailure
            : RecipientStatus.TransientFailure;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Status == Pending && results[i].Reply is not null)
            {
                results[i] = new RecipientResult(results[i].Recipient, status, reply, results[i].RcptReply);
            }
        }
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
    private async Task WriteContentAsync(ReadOnlyMemory<byte> content)
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

        stuffing.Complete();
        await FlushAsync(_options.DataBlockTimeout, "sending data").ConfigureAwait(false);
    }

    // Pooled state machines: these run several times per message and mostly complete asynchronously.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpReply> ReadReplyAsync(TimeSpan timeout, int cacheSlot, string stage)
    {
        CancellationToken token = Arm(timeout);
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync(token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool complete;
                SmtpReply? reply;
                SequencePosition consumed;
                try
                {
                    complete = _replies.TryRead(buffer, cacheSlot, out reply, out consumed);
                }
                catch (SmtpProtocolException e)
                {
                    _reader.AdvanceTo(buffer.End);
                    throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, stage, e.Message), $"Garbled reply {stage}: {e.Message}", e);
                }

                if (complete)
                {
                    _reader.AdvanceTo(consumed);
                    Disarm();

                    // RFC 5321 §3.8: 421 means the server is closing; nothing more will come.
                    if (reply!.Code == 421 && cacheSlot != SmtpReplyReader.NoCache)
                    {
                        throw Fail(SmtpFailureKind.ServiceClosing, reply, $"Server closing {stage}: {reply.ToLine()}");
                    }

                    return reply;
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    throw Fail(SmtpFailureKind.ConnectionDropped, LocalReplies.Dropped(RemoteEndPoint, stage), $"Connection closed by the server {stage}.");
                }
            }
        }
        catch (Exception e) when (e is not SmtpConnectionException)
        {
            throw Translate(e, stage);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync(TimeSpan timeout, string stage)
    {
        CancellationToken token = Arm(timeout);
        try
        {
            FlushResult result = await _writer.FlushAsync(token).ConfigureAwait(false);
            Disarm();
            if (result.IsCompleted)
            {
                throw Fail(SmtpFailureKind.ConnectionDropped, LocalReplies.Dropped(RemoteEndPoint, stage), $"Connection closed {stage}.");
            }
        }
        catch (Exception e) when (e is not SmtpConnectionException)
        {
            throw Translate(e, stage);
        }
    }

    private Exception Translate(Exception e, string stage)
    {
        if (e is OperationCanceledException)
        {
            if (_callerCancelled)
            {
                CloseTransport();
                return e;
            }

            return Fail(SmtpFailureKind.Timeout, LocalReplies.Timeout(RemoteEndPoint, stage), $"Timed out {stage}.", e);
        }

        if (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return Fail(SmtpFailureKind.ConnectionDropped, LocalReplies.Dropped(RemoteEndPoint, stage), $"Connection lost {stage}: {e.Message}", e);
        }

        return e;
    }

    /// <summary>Builds the failure, marks the connection unusable and closes the socket: after any of these the dialogue state is unknown.</summary>
    private SmtpConnectionException Fail(SmtpFailureKind kind, SmtpReply reply, string message, Exception? exception = null)
    {
        var failure = new SmtpFailure(kind, reply, message, exception);
        MarkUnusable(failure);
        CloseTransport();
        return new SmtpConnectionException(failure);
    }

    private async Task QuitUnlessClosingAsync(SmtpReply reply)
    {
        if (reply.Code != 421)
        {
            await SayQuitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>QUIT and wait briefly for 221; errors do not matter any more.</summary>
    private async Task SayQuitAsync()
    {
        try
        {
            SmtpCommandWriter.WriteQuit(_writer);
            await FlushAsync(_options.QuitTimeout, "sending QUIT").ConfigureAwait(false);
            await ReadReplyAsync(_options.QuitTimeout, SmtpReplyReader.NoCache, "after QUIT").ConfigureAwait(false);
        }
        catch (SmtpConnectionException)
        {
        }
    }

    private void MarkUnusable(SmtpFailure failure)
    {
        if (_usable)
        {
            _usable = false;
            Failure = failure;
        }
    }

    private void CloseTransport()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _usable = false;
        Failure ??= new SmtpFailure(SmtpFailureKind.NotUsable, LocalReplies.NotUsable(RemoteEndPoint), "Closed.");

        // The socket goes first: completing a stream pipe writer flushes what is buffered, which on
        // a live socket with a full send buffer would block, and on a dead one throws.
        _socket.Dispose();
        _tls?.Dispose();
        _network.Dispose();
        try
        {
            _reader.Complete();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
        }

        try
        {
            _writer.Complete();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
        }
    }

    private CancellationToken Arm(TimeSpan timeout)
    {
        if (_callerCancelled)
        {
            throw new OperationCanceledException();
        }

        _timer.CancelAfter(timeout);
        return _timer.Token;
    }

    private void Disarm()
    {
        if (!_timer.TryReset() && !_callerCancelled)
        {
            // The timer fired just after the operation finished; start over with a fresh one.
            _timer.Dispose();
            _timer = new CancellationTokenSource();
        }
    }

    private CancellationTokenRegistration Enter(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("An SMTP connection carries one operation at a time.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _busy, 0);
            throw new OperationCanceledException(cancellationToken);
        }

        return cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((SmtpClientConnection)state!).OnCallerCancelled(), this)
            : default;
    }

    private void Exit(CancellationTokenRegistration registration)
    {
        registration.Dispose();
        Volatile.Write(ref _busy, 0);
    }

    private void OnCallerCancelled()
    {
        _callerCancelled = true;
        try
        {
            _timer.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
