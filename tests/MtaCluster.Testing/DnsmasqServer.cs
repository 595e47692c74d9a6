using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MtaCluster.Testing;

/// <summary>
/// A dnsmasq on a free loopback port that answers only from the records it is started with
/// (arguments such as <c>--mx-host=…</c>, <c>--host-record=…</c>, <c>--local=/test/</c>): no upstream,
/// no hosts file, no cache. Killed by its process id on dispose.
/// </summary>
public sealed class DnsmasqServer : IAsyncDisposable
{
    public const string Executable = "/usr/sbin/dnsmasq";

    private static readonly string[] Isolation =
    [
        "--no-daemon", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
        "--pid-file=", "--conf-file=/dev/null", "--user=root", "--cache-size=0", "--log-facility=-",
    ];

    private readonly Process _process;

    private DnsmasqServer(Process process, IPEndPoint endPoint)
    {
        _process = process;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public static async Task<DnsmasqServer> StartAsync(params string[] records)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is not installed (apt-get install dnsmasq).");
        }

        Exception? lastError = null;
        // The free port can be taken between choosing it and dnsmasq binding it.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int port = FreePort.FindUdpAndTcp();
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add($"--port={port}");
            foreach (string argument in Isolation.Concat(records))
            {
                start.ArgumentList.Add(argument);
            }

            var output = new ConcurrentQueue<string>();
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);
            if (await WaitUntilAnsweringAsync(process, endPoint))
            {
                return new DnsmasqServer(process, endPoint);
            }

            Stop(process);
            lastError = new InvalidOperationException(
                $"dnsmasq did not answer on port {port}:{Environment.NewLine}{string.Join(Environment.NewLine, output)}");
        }

        throw lastError!;
    }

    public ValueTask DisposeAsync()
    {
        Stop(_process);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Any reply to a query for the root zone, REFUSED included, means dnsmasq has bound the port
    /// and loaded its records; the records themselves cannot be probed, they are the caller's.
    /// </summary>
    private static async Task<bool> WaitUntilAnsweringAsync(Process process, IPEndPoint endPoint)
    {
        byte[] query =
        [
            0x4D, 0x54, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x06, 0x00, 0x01,
        ];
        byte[] reply = new byte[512];
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(endPoint);
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                await socket.SendAsync(query, SocketFlags.None);
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                int received = await socket.ReceiveAsync(reply, SocketFlags.None, wait.Token);
                if (received >= 12 && reply[0] == query[0] && reply[1] == query[1])
                {
                    return true;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }
}
