using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// One accepted connection: a stream (a socket's, or any duplex stream in tests) exposed as pipes, with
/// TLS layered under new pipes on demand.
/// </summary>
public sealed class SmtpConnection : ISmtpTransport
{
    private static long s_nextId;

    private readonly Stream _raw;
    private readonly Socket? _socket;
    private SslStream? _tls;
    private int _disposed;

    public SmtpConnection(Stream stream, SmtpListenerOptions listener, EndPoint? remoteEndPoint, EndPoint? localEndPoint, Socket? socket = null)
    {
        _raw = stream;
        _socket = socket;
        Listener = listener;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        Id = Interlocked.Increment(ref s_nextId);
        (Input, Output) = CreatePipes(stream);
    }

    public static SmtpConnection FromSocket(Socket socket, SmtpListenerOptions listener)
    {
        socket.NoDelay = true;
        // The stream does not own the socket: an owning NetworkStream calls shutdown(SHUT_RDWR) before
        // close, one more syscall per connection (3% of the node's CPU on the accept benchmark, and it
        // fails with ENOTCONN for most clients, which have closed first). DisposeAsync closes the
        // socket itself; close sends the same FIN after the last reply.
        return new SmtpConnection(new NetworkStream(socket, ownsSocket: false), listener, socket.RemoteEndPoint, socket.LocalEndPoint, socket);
    }

    public long Id { get; }

    public SmtpListenerOptions Listener { get; }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public IPAddress? RemoteAddress => (RemoteEndPoint as IPEndPoint)?.Address;

    public bool IsSecure => _tls is { IsAuthenticated: true };

    public string? SecurityDescription => _tls is { IsAuthenticated: true } tls
        ? $"{ProtocolName(tls.SslProtocol)} with cipher {tls.NegotiatedCipherSuite}"
        : null;

    public async ValueTask UpgradeToTlsAsync(SslServerAuthenticationOptions options, CancellationToken cancellationToken)
    {
        if (_tls is not null) throw new InvalidOperationException("TLS is already active.");
        await Input.CompleteAsync().ConfigureAwait(false);
        await Output.CompleteAsync().ConfigureAwait(false);
        _tls = new SslStream(_raw, leaveInnerStreamOpen: true);
        await _tls.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
        (Input, Output) = CreatePipes(_tls);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // The peer is gone; there is nothing left to flush to.
        }
        await Input.CompleteAsync().ConfigureAwait(false);
        if (_tls is not null) await _tls.DisposeAsync().ConfigureAwait(false);
        await _raw.DisposeAsync().ConfigureAwait(false);
        _socket?.Dispose();
    }

#pragma warning disable SYSLIB0039 // Old protocol names are only printed, never enabled.
    private static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.Tls11 => "TLSv1.1",
        SslProtocols.Tls => "TLSv1",
        _ => protocol.ToString(),
    };
#pragma warning restore SYSLIB0039

    // Larger reads than the 4 KiB default: DATA bodies are the bulk of what arrives.
    private static (PipeReader, PipeWriter) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true)),
         PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)));
}
