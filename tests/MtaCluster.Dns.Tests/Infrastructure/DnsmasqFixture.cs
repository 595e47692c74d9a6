using System.Diagnostics;
using System.Net;
using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Tests.Infrastructure;

/// <summary>
/// A dnsmasq serving fixed local data on a free loopback port. Names under .test that it does not
/// know are NXDOMAIN (--local); names elsewhere without data are REFUSED (no upstream).
/// </summary>
public sealed class DnsmasqFixture : IAsyncLifetime
{
    public const string Executable = "/usr/sbin/dnsmasq";

    private Process? _process;

    public IPEndPoint EndPoint { get; private set; } = null!;

    public static readonly string[] Records =
    [
        "--mx-host=example.net,mx1.example.net,10",
        "--mx-host=example.net,mx2.example.net,20",
        "--host-record=mx1.example.net,127.0.0.1,::1",
        "--host-record=mx2.example.net,127.0.0.2",
        "--mx-host=nullmx.test,.,0",
        "--host-record=implicit.test,127.0.0.5,fd00::5",
        "--mx-host=shuffle.test,mxa.shuffle.test,10",
        "--mx-host=shuffle.test,mxb.shuffle.test,10",
        "--mx-host=shuffle.test,backup.shuffle.test,30",
        "--host-record=mxa.shuffle.test,127.0.1.1",
        "--host-record=mxb.shuffle.test,127.0.1.2",
        "--host-record=backup.shuffle.test,127.0.1.3",
        "--mx-host=dangling.test,nohost.test,10",
        "--mx-host=partial.test,nohost.test,5",
        "--mx-host=partial.test,mx1.example.net,10",
        "--txt-record=txt.example.net,v=spf1 -all,second string",
        "--cname=alias.example.net,mx1.example.net",
        "--dns-rr=_25._tcp.mx1.example.net,52,030101AABBCCDDEEFF",
        "--local=/test/",
        "--local-ttl=60",
    ];

    public LookupClient CreateClient(Action<LookupClientOptions>? configure = null)
    {
        var options = new LookupClientOptions
        {
            NameServers = { EndPoint },
            Timeout = TimeSpan.FromSeconds(2),
            Retries = 1,
        };
        configure?.Invoke(options);
        return new LookupClient(options);
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is not installed (apt-get install dnsmasq).");
        }

        Exception? lastError = null;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int port = FreePort.FindUdpAndTcp();
            var start = new ProcessStartInfo(Executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[]
                     {
                         "--no-daemon", $"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                         "--no-resolv", "--no-hosts", "--pid-file=", "--conf-file=/dev/null", "--user=root",
                         "--cache-size=0", "--log-facility=-",
                     })
            {
                start.ArgumentList.Add(argument);
            }

            foreach (string record in Records)
            {
                start.ArgumentList.Add(record);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            EndPoint = new IPEndPoint(IPAddress.Loopback, port);
            if (await WaitUntilAnsweringAsync(process))
            {
                _process = process;
                return;
            }

            lastError = new InvalidOperationException($"dnsmasq did not answer on port {port}.");
            Stop(process);
        }

        throw lastError!;
    }

    public Task DisposeAsync()
    {
        if (_process is not null)
        {
            Stop(_process);
        }

        return Task.CompletedTask;
    }

    private async Task<bool> WaitUntilAnsweringAsync(Process process)
    {
        var client = new LookupClient(new LookupClientOptions
        {
            NameServers = { EndPoint },
            Timeout = TimeSpan.FromMilliseconds(200),
            Retries = 0,
            UseCache = false,
        });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                return false;
            }

            try
            {
                await client.QueryAsync("mx1.example.net", QueryType.A);
                return true;
            }
            catch (DnsException)
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

[CollectionDefinition(Name)]
public sealed class DnsmasqCollection : ICollectionFixture<DnsmasqFixture>
{
    public const string Name = "dnsmasq";
}
