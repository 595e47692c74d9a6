using System.Net.Sockets;
using MtaCluster.Delivery.Throttling;

namespace MtaCluster.Delivery.Tests;

public sealed class LocalResourceErrorsTests
{
    [Theory]
    [InlineData(SocketError.TooManyOpenSockets, false, true)]
    [InlineData(SocketError.NoBufferSpaceAvailable, false, true)]
    [InlineData(SocketError.AddressAlreadyInUse, false, true)]
    [InlineData(SocketError.AddressNotAvailable, false, true)]
    // Bound to a configured source address that this machine does not have: a configuration error, not a shortage.
    [InlineData(SocketError.AddressNotAvailable, true, false)]
    [InlineData(SocketError.ConnectionRefused, false, false)]
    [InlineData(SocketError.TimedOut, false, false)]
    [InlineData(SocketError.NetworkUnreachable, false, false)]
    [InlineData(SocketError.HostUnreachable, false, false)]
    public void Only_what_this_machine_lacks_is_a_shortage(SocketError error, bool boundToSource, bool shortage)
    {
        Assert.Equal(shortage, LocalResourceErrors.IsShortage(error, boundToSource));
        Assert.Equal(shortage, LocalResourceErrors.IsShortage(new SocketException((int)error), boundToSource));
    }

    [Fact]
    public void Other_exceptions_are_not_shortages()
    {
        Assert.False(LocalResourceErrors.IsShortage(null, false));
        Assert.False(LocalResourceErrors.IsShortage(new IOException("disk"), false));
    }
}
