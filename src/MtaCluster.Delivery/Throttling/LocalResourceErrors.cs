using System.Net.Sockets;

namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// Socket errors that say this machine is short of something, not that the receiver refused: no
/// descriptor (EMFILE, ENFILE), no buffer space (ENOBUFS), no ephemeral port (EADDRNOTAVAIL on
/// connect, EADDRINUSE on an implicit bind). They shrink the node's connection budget and never
/// count against the domain or the recipient.
/// </summary>
public static class LocalResourceErrors
{
    /// <param name="boundToSource">
    /// The socket was bound to a configured source address: there EADDRNOTAVAIL means the address is
    /// not on this machine, a configuration error that must count like any failure.
    /// </param>
    public static bool IsShortage(SocketError error, bool boundToSource) => error switch
    {
        SocketError.TooManyOpenSockets => true,
        SocketError.NoBufferSpaceAvailable => true,
        SocketError.AddressAlreadyInUse => true,
        SocketError.AddressNotAvailable => !boundToSource,
        _ => false,
    };

    public static bool IsShortage(Exception? exception, bool boundToSource) =>
        exception is SocketException socket && IsShortage(socket.SocketErrorCode, boundToSource);
}
