using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;

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
/// <para>
/// One job per file: this one holds the state and the public surface; <c>.Transport</c> the socket,
/// pipes and timeouts; <c>.Negotiation</c> greeting, EHLO and STARTTLS; <c>.Transaction</c> one mail
/// transaction, which keeps its recipients in a <see cref="RecipientLedger"/> and writes the content
/// through a <see cref="DotStuffingWriter"/>.
/// </para>
/// </remarks>
public sealed partial class SmtpClientConnection : IAsyncDisposable
{
    private const int MailSlot = 0;
    private const int RcptSlot = 1;
    private const int DataSlot = 2;
    private const int EndOfDataSlot = 3;
    private const int RsetSlot = 4;
    private const int CacheSlots = 5;

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
}
