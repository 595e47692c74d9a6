using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// A node on the shipped node.yaml with two listeners moved from the environment, the way the README
/// says: each keeps the rest of its default (the submission port still demands AUTH), and the start-up
/// log names what is open and what is off.
/// </summary>
public sealed class ListenersEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-listeners-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Listeners_moved_from_the_environment_keep_their_defaults_and_are_named_in_the_log()
    {
        int relay = FreePort.Next(), submission = FreePort.Next();
        var env = new Dictionary<string, string>
        {
            ["MTA_Smtp__Listeners__relay__Port"] = relay.ToString(),
            ["MTA_Smtp__Listeners__submission__Port"] = submission.ToString(),
            // Off, so this test never contends for the fixed 2465 on every interface.
            ["MTA_Smtp__Listeners__submissions__Enabled"] = "false",
            ["MTA_Delivery__Hold"] = "true",
        };
        await using var node = NodeProcess.Start(_dir, ["--data-dir", Path.Combine(_dir, "data")], env);
        await node.WaitForOutputAsync("SMTP listeners disabled: submissions", TimeSpan.FromSeconds(60));
        Assert.Contains(node.Output, l => l.EndsWith($"SMTP listener relay on 127.0.0.1:{relay} (Relay, STARTTLS, AUTH optional)", StringComparison.Ordinal));
        Assert.Contains(node.Output, l => l.EndsWith($"SMTP listener submission on 0.0.0.0:{submission} (Submission, STARTTLS, AUTH required)", StringComparison.Ordinal));
        Assert.Equal(2, node.Output.Count(l => l.Contains("SMTP listener ", StringComparison.Ordinal)));

        var script = Path.Combine(_dir, "client.py");
        await File.WriteAllTextAsync(script, $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE

            def mail(name, port, tls):
                s = smtplib.SMTP("127.0.0.1", port, timeout=20)
                s.ehlo("app.test")
                if tls:
                    s.starttls(context=ctx)
                    s.ehlo("app.test")
                code, text = s.mail("app@example.com")
                print(name, code, text.decode().split(" ")[0])
                s.quit()

            mail("relay", {{relay}}, False)
            mail("submission", {{submission}}, True)
            """);
        var output = await ExternalProcess.RunAsync("python3", script);
        var results = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(' ')).Where(p => p.Length == 3).ToDictionary(p => p[0], p => $"{p[1]} {p[2]}");

        Assert.Equal("250 2.1.0", results["relay"]);
        Assert.Equal("530 5.7.0", results["submission"]);

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
