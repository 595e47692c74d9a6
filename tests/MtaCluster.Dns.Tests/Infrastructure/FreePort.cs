using System.Net;
using System.Net.Sockets;

namespace MtaCluster.Dns.Tests.Infrastructure;

internal static class FreePort
{
    /// <summary>A loopback port currently free for both UDP and TCP (DNS servers listen on both).</summary>
    public static int FindUdpAndTcp()
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
            try
            {
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No free loopback port for UDP and TCP.");
    }
}
