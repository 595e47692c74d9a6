using System.Net;
using System.Net.Sockets;

namespace MtaCluster.Smtp.Server;

/// <summary>One bound listening socket of an <see cref="SmtpServer"/>.</summary>
public sealed class SmtpListener : IDisposable
{
    private readonly Socket _socket;

    internal SmtpListener(SmtpListenerOptions options)
    {
        Options = options;
        var address = IPAddress.Parse(options.Address);
        _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any)) _socket.DualMode = true;
            // Lets a restarted node rebind while old connections sit in TIME_WAIT; Linux still refuses a second listener.
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.Bind(new IPEndPoint(address, options.Port));
            _socket.Listen(512);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    public SmtpListenerOptions Options { get; }

    /// <summary>The bound address and port (the real port when the options said 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    internal ValueTask<Socket> AcceptAsync(CancellationToken cancellationToken) => _socket.AcceptAsync(cancellationToken);

    public void Dispose() => _socket.Dispose();
}
