using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;
using MtaCluster.Testing;

namespace MtaCluster.Dns.Tests.Infrastructure;

/// <summary>
/// In-process DNS server on a loopback port whose answers are decided by test code: it can send several
/// datagrams per query (wrong id first, then the right one), garbage, TC-flagged answers, or nothing.
/// </summary>
public sealed class ScriptedDnsServer : IAsyncDisposable
{
    private readonly Socket _udp;
    private readonly Socket? _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<ReceivedQuery, IReadOnlyList<byte[]>> _udpHandler;
    private readonly Func<ReceivedQuery, byte[]?>? _tcpHandler;
    private readonly List<Task> _loops = new();
    private int _udpQueries;
    private int _tcpQueries;

    public ScriptedDnsServer(
        Func<ReceivedQuery, IReadOnlyList<byte[]>> udpHandler,
        Func<ReceivedQuery, byte[]?>? tcpHandler = null,
        TimeSpan? responseDelay = null)
    {
        _udpHandler = udpHandler;
        _tcpHandler = tcpHandler;
        ResponseDelay = responseDelay ?? TimeSpan.Zero;
        int port = FreePort.FindUdpAndTcp();
        _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        _loops.Add(Task.Run(UdpLoopAsync));
        if (tcpHandler is not null)
        {
            _tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _tcp.Bind(EndPoint);
            _tcp.Listen(16);
            _loops.Add(Task.Run(TcpLoopAsync));
        }
    }

    public IPEndPoint EndPoint { get; }

    public TimeSpan ResponseDelay { get; }

    public int UdpQueries => Volatile.Read(ref _udpQueries);

    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    public LookupClient CreateClient(Action<LookupClientOptions>? configure = null)
    {
        var options = new LookupClientOptions
        {
            NameServers = { EndPoint },
            Timeout = TimeSpan.FromSeconds(3),
            Retries = 0,
        };
        configure?.Invoke(options);
        return new LookupClient(options);
    }

    /// <summary>Builds an answer echoing the query's id and question.</summary>
    public static byte[] Answer(
        ReceivedQuery query,
        DnsResponseCode code = DnsResponseCode.NoError,
        IReadOnlyList<DnsResourceRecord>? answers = null,
        IReadOnlyList<DnsResourceRecord>? authorities = null,
        bool truncated = false,
        ushort? id = null,
        DnsQuestion? question = null)
    {
        var message = new DnsMessage
        {
            Header = new DnsHeader
            {
                Id = id ?? query.Message.Header.Id,
                IsResponse = true,
                RecursionDesired = true,
                RecursionAvailable = true,
                IsTruncated = truncated,
                ResponseCode = code,
            },
            Questions = [question ?? query.Question],
            Answers = answers ?? Array.Empty<DnsResourceRecord>(),
            Authorities = authorities ?? Array.Empty<DnsResourceRecord>(),
            Opt = new OptRecord(1232),
        };
        return message.Encode();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _udp.Dispose();
        _tcp?.Dispose();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
        }

        _stop.Dispose();
    }

    private async Task UdpLoopAsync()
    {
        byte[] buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            Interlocked.Increment(ref _udpQueries);
            var query = new ReceivedQuery(buffer.AsSpan(0, received.ReceivedBytes).ToArray(), received.RemoteEndPoint);
            _ = RespondUdpAsync(query);
        }
    }

    private async Task RespondUdpAsync(ReceivedQuery query)
    {
        try
        {
            if (ResponseDelay > TimeSpan.Zero)
            {
                await Task.Delay(ResponseDelay, _stop.Token);
            }

            foreach (byte[] datagram in _udpHandler(query))
            {
                await _udp.SendToAsync(datagram, SocketFlags.None, query.From, _stop.Token);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _tcp!.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = ServeTcpAsync(connection);
        }
    }

    private async Task ServeTcpAsync(Socket connection)
    {
        using (connection)
        {
            try
            {
                byte[] prefix = new byte[2];
                await ReceiveExactlyAsync(connection, prefix);
                byte[] body = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                await ReceiveExactlyAsync(connection, body);
                Interlocked.Increment(ref _tcpQueries);
                byte[]? response = _tcpHandler!(new ReceivedQuery(body, connection.RemoteEndPoint!));
                if (response is null)
                {
                    return;
                }

                byte[] framed = new byte[response.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
                response.CopyTo(framed, 2);
                await connection.SendAsync(framed, SocketFlags.None, _stop.Token);
                await Task.Delay(100, _stop.Token);
            }
            catch (Exception)
            {
            }
        }
    }

    private async Task ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        int offset = 0;
        while (offset < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(offset), SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            offset += read;
        }
    }
}

public sealed class ReceivedQuery
{
    public ReceivedQuery(byte[] raw, EndPoint from)
    {
        Raw = raw;
        From = from;
        Message = DnsMessage.Parse(raw);
    }

    public byte[] Raw { get; }

    public EndPoint From { get; }

    public DnsMessage Message { get; }

    public DnsQuestion Question => Message.Questions[0];
}
