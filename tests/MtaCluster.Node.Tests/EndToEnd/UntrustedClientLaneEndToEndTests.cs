using Microsoft.Data.Sqlite;
using MtaCluster.Smtp.Auth;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// "A client that is neither authenticated nor trusted cannot choose a lane", through a running node.
/// No path accepts such a client's mail at all: the relay port refuses its every recipient (554 5.7.1)
/// and the submission port its MAIL (530 5.7.0), so its X-MtaCluster-Lane never reaches the spool.
/// The same client, once authenticated, chooses its lane with the same header.
/// </summary>
public sealed class UntrustedClientLaneEndToEndTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-untrusted-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_untrusted_client_without_AUTH_is_refused_on_every_port_and_only_an_authenticated_one_chooses_its_lane()
    {
        await using var sink = await SmtpSink.StartAsync(dump: true);
        int relay = FreePort.Next(), submission = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
        var hash = PasswordHasher.Hash(AuthenticatedSubmitter.Password, 1000);
        var dataDir = Path.Combine(_dir, "data");
        var config = Path.Combine(_dir, "node.yaml");
        // Loopback, where the test's client is, is not among the trusted networks here (both default entries replaced).
        await File.WriteAllTextAsync(config, $"""
            Node:
              DataDir: {dataDir}
            Smtp:
              TrustedNetworks: [192.0.2.0/24, 198.51.100.0/24]
              Listeners:
                relay:
                  Address: 127.0.0.1
                  Port: {relay}
                submission:
                  Address: 127.0.0.1
                  Port: {submission}
                submissions:
                  Enabled: false
              Auth:
                Users:
                  app1: "{hash}"
            Delivery:
              DomainsFile: {domains}
            Tenants:
              acme:
                Users: [app1]
                DefaultLane: bulk
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listeners disabled", Wait);

        var script = Path.Combine(_dir, "untrusted.py");
        await File.WriteAllTextAsync(script, $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            body = b"From: <app@example.com>\r\nX-MtaCluster-Lane: transactional\r\nSubject: untrusted\r\n\r\nbody\r\n"

            def attempt(name, port, tls):
                s = smtplib.SMTP("127.0.0.1", port, timeout=30)
                s.ehlo("app.test")
                if tls:
                    s.starttls(context=ctx)
                    s.ehlo("app.test")
                code, _ = s.mail("app@example.com")
                print(name, "mail", code)
                code, _ = s.rcpt("user@example.net")
                print(name, "rcpt", code)
                code, _ = s.docmd("DATA")
                print(name, "data", code)
                s.rset()
                s.quit()

            attempt("relay", {{relay}}, False)
            attempt("relay-tls", {{relay}}, True)
            attempt("submission", {{submission}}, True)
            """);
        var output = await ExternalProcess.RunAsync("python3", script);
        var codes = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3).ToDictionary(p => $"{p[0]} {p[1]}", p => int.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(554, codes["relay rcpt"]);
        Assert.Equal(554, codes["relay-tls rcpt"]);
        Assert.Equal(530, codes["submission mail"]);
        foreach (var name in new[] { "relay", "relay-tls", "submission" })
            Assert.True(codes[$"{name} data"] >= 500, $"{name}: DATA answered {codes[$"{name} data"]}");

        // The same header from the same address, authenticated: honoured (acme's default lane is bulk).
        var authenticated = await AuthenticatedSubmitter.SendWithHeaderAsync(_dir, relay, "app1", "user@example.net", "X-MtaCluster-Lane: transactional", "authenticated");
        Assert.Equal([250], authenticated);
        var accounting = Path.Combine(dataDir, "accounting");
        string[] lines = [];
        await Poll.UntilAsync(() =>
        {
            lines = Directory.Exists(accounting) ? Directory.GetFiles(accounting).SelectMany(File.ReadAllLines).ToArray() : [];
            return lines.Length >= 1;
        }, Wait, "the accounting record");
        await Poll.UntilAsync(() => Directory.GetFiles(sink.DumpDirectory!).Length >= 1, Wait, "the authenticated message at the receiver");

        // Nothing of the refused attempts was stored, delivered or logged as a lane choice.
        var record = Assert.Single(lines);
        Assert.Contains("\"tenant\":\"acme\"", record);
        Assert.Contains("\"lane\":\"transactional\"", record);
        var dump = Assert.Single(Directory.GetFiles(sink.DumpDirectory!).Select(File.ReadAllText));
        Assert.Contains("Subject: authenticated", dump);
        Assert.DoesNotContain("X-MtaCluster", dump, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, Query(Path.Combine(dataDir, "spool.db"), "SELECT COUNT(*) FROM messages"));
        Assert.DoesNotContain(node.Output, l => l.Contains("X-MtaCluster-Lane ignored", StringComparison.Ordinal));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(Wait));
    }

    private static long Query(string spool, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = spool, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }
}
