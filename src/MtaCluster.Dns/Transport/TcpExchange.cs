using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Transport;

/// <summary>One query over a fresh TCP connection with two-octet length framing (RFC 1035 §4.2.2, RFC 7766).</summary>
internal static class TcpExchange
{
    public static async Task<DnsExchangeResult> ExchangeAsync(
        IPEndPoint server, byte[] query, ushort id, DnsQuestion question, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        CancellationToken token = timeoutSource.Token;
        try
        {
            await socket.ConnectAsync(server, token).ConfigureAwait(false);

            byte[] framed = new byte[query.Length + 2];
            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
            query.CopyTo(framed, 2);
            await SendAllAsync(socket, framed, token).ConfigureAwait(false);

            byte[] lengthPrefix = new byte[2];
            while (true)
            {
                await ReceiveExactlyAsync(socket, lengthPrefix, token).ConfigureAwait(false);
                int length = BinaryPrimitives.ReadUInt16BigEndian(lengthPrefix);
                byte[] body = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
                try
                {
                    Memory<byte> message = body.AsMemory(0, length);
                    await ReceiveExactlyAsync(socket, message, token).ConfigureAwait(false);
                    if (!QueryMessageBuilder.IsAnswerTo(message.Span, id, question))
                    {
                        continue;
                    }

                    return new DnsExchangeResult(DnsMessage.Parse(message.Span), length);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(body);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DnsTimeoutException($"No TCP response from {server} for {question} within {timeout.TotalMilliseconds:0} ms.");
        }
        catch (SocketException ex)
        {
            throw new DnsConnectionException($"TCP exchange with {server} failed: {ex.SocketErrorCode}.", ex);
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken token)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (read == 0)
            {
                throw new DnsResponseException("The server closed the TCP connection before a complete response arrived.");
            }

            buffer = buffer[read..];
        }
    }
}
