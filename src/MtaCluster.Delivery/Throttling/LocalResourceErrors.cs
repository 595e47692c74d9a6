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

    /// <summary>
    /// An error of this node that says nothing about the message being delivered: the spool could not
    /// be read (a database or disk error, a lock, no file descriptor) or memory or sockets ran out.
    /// Waiting cures it, so it must not count toward a recipient's attempts or local failures in a
    /// row, where a passing outage would fail good mail.
    /// </summary>
    public static bool IsPassing(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Data.Common.DbException or OutOfMemoryException or InsufficientExecutionStackException) return true;
            if (e is SocketException socket && IsShortage(socket.SocketErrorCode, boundToSource: false)) return true;
            // ENFILE and EMFILE outside a socket (opening a spool file) surface as IOException with the errno as HResult.
            if (e is IOException { HResult: 23 or 24 or 28 }) return true;
        }
        return false;
    }
}
