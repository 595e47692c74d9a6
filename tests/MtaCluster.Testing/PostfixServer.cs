using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace MtaCluster.Testing;

/// <summary>
/// A throwaway Postfix instance with its own configuration, queue and data directories, listening
/// with STARTTLS (a self-signed certificate) on a free loopback port, discarding all mail for
/// <see cref="Domain"/> and refusing to relay elsewhere (loopback is not in mynetworks). Stopped with <c>postfix stop</c>, then by the master's pid if need be.
/// </summary>
public sealed class PostfixServer : IAsyncLifetime
{
    public const string Domain = "example.test";

    private string _root = string.Empty;
    private string _config = string.Empty;

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    public string MailLog => Path.Combine(_root, "maillog");

    public async Task InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("postfix-").FullName;
        ExternalProcess.MakeWorldReadable(_root);
        _config = Path.Combine(_root, "conf");
        string queue = Path.Combine(_root, "queue");
        string data = Path.Combine(_root, "data");
        Directory.CreateDirectory(_config);
        Directory.CreateDirectory(queue);
        Directory.CreateDirectory(data);
        await ExternalProcess.RunAsync("chown", "postfix", data);

        string cert = Path.Combine(_config, "cert.pem");
        string key = Path.Combine(_config, "key.pem");
        await ExternalProcess.RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=mx." + Domain);

        int port = FreePort.Next();
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        await File.WriteAllTextAsync(Path.Combine(_config, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {queue}
            data_directory = {data}
            mail_owner = postfix
            setgid_group = postdrop
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = mx.{Domain}
            mydestination = {Domain}
            mynetworks = 192.0.2.0/24
            smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
            local_recipient_maps =
            local_transport = discard
            default_transport = discard
            relay_transport = discard
            smtpd_tls_cert_file = {cert}
            smtpd_tls_key_file = {key}
            smtpd_tls_security_level = may
            maillog_file = {MailLog}
            maillog_file_prefixes = {_root}

            """);

        // The services come whole from the same file the benchmarks use (never an edit of the machine's
        // master.cf, which may have its smtp line commented out), with this instance's listener on top.
        string services = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "postfix-master.cf"));
        await File.WriteAllTextAsync(Path.Combine(_config, "master.cf"), $"127.0.0.1:{port} inet n - n - - smtpd\n{services}");
        await ExternalProcess.RunAsync("postfix", "-c", _config, "start");
        await FreePort.WaitListeningAsync(port, TimeSpan.FromSeconds(20));
    }

    /// <summary>Waits until the mail log contains <paramref name="text"/> <paramref name="count"/> times.</summary>
    public async Task<string> WaitForLogAsync(string text, int count = 1)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            string log = File.Exists(MailLog) ? await File.ReadAllTextAsync(MailLog) : string.Empty;
            if (Regex.Matches(log, Regex.Escape(text)).Count >= count || DateTime.UtcNow > deadline)
            {
                return log;
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        string pidFile = Path.Combine(_root, "queue", "pid", "master.pid");
        // The master holds a lock on its pid file that .NET's own file locking refuses to share.
        int? pid = File.Exists(pidFile) && int.TryParse((await ExternalProcess.RunAsync("cat", pidFile)).Trim(), out int p) ? p : null;
        try
        {
            await ExternalProcess.RunAsync("postfix", "-c", _config, "stop");
        }
        catch (InvalidOperationException)
        {
        }

        if (pid is int masterPid)
        {
            for (int i = 0; i < 50 && Exists(masterPid); i++)
            {
                await Task.Delay(100);
            }

            if (Exists(masterPid))
            {
                System.Diagnostics.Process.GetProcessById(masterPid).Kill(entireProcessTree: true);
            }
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool Exists(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
