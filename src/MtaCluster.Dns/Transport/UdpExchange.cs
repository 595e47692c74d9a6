using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Transport;

/// <summary>One query over UDP from a socket bound to a fresh ephemeral port.</summary>
internal static class UdpExchange
{
    /// <summary>Large enough for any datagram, whatever a server ignores of the advertised payload size.</summary>
    private const int ReceiveBufferSize = 65535;

    public static async Task<DnsExchangeResult> ExchangeAsync(
        IPEndPoint server, byte[] query, ushort id, DnsQuestion question, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A new socket per query gives a new random source port (RFC 5452 §9.2), and binding to
        // port 0 leaves the choice to the kernel's randomised ephemeral range.
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            socket.Bind(new IPEndPoint(server.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
            await socket.SendToAsync(query, SocketFlags.None, server, timeoutSource.Token).ConfigureAwait(false);
            EndPoint any = server.AddressFamily == AddressFamily.InterNetworkV6
                ? new IPEndPoint(IPAddress.IPv6Any, 0)
                : new IPEndPoint(IPAddress.Any, 0);

            while (true)
            {
                SocketReceiveFromResult received = await socket
                    .ReceiveFromAsync(buffer, SocketFlags.None, any, timeoutSource.Token)
                    .ConfigureAwait(false);

                // Anything not from the server, or not answering this exact question, may be a
                // spoofing attempt or a late answer to an earlier query: drop it and keep listening.
                if (!server.Equals(received.RemoteEndPoint))
                {
                    continue;
                }

                ReadOnlySpan<byte> datagram = buffer.AsSpan(0, received.ReceivedBytes);
                if (!QueryMessageBuilder.IsAnswerTo(datagram, id, question))
                {
                    continue;
                }

                return new DnsExchangeResult(DnsMessage.Parse(datagram), received.ReceivedBytes);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DnsTimeoutException($"No UDP response from {server} for {question} within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (SocketException ex)
        {
            throw new DnsConnectionException($"UDP exchange with {server} failed: {ex.SocketErrorCode}.", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
