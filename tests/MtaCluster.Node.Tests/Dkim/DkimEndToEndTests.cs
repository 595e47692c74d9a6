using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Dkim;

/// <summary>
/// DKIM over the whole path: keys made by the node's dkim-keygen, a node signing at accept with an RSA
/// and an Ed25519 key, delivery to smtp-sink, and opendkim judging what the receiver got.
/// </summary>
public sealed partial class DkimEndToEndTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-dkim-e2e-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string DataDir => Path.Combine(_dir, "data");

    private static Task<string> NodeCommandAsync(params string[] args) =>
        ExternalProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "MtaCluster.Node.dll"), .. args]);

    // s1._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=MIIB..." "..."
    [GeneratedRegex("""^(?<selector>[^.\s]+)\._domainkey\.(?<domain>\S+)\. IN TXT (?<strings>(?:"[^"]*" ?)+)$""", RegexOptions.Multiline)]
    private static partial Regex RecordLine();

    private static (string Selector, string Domain, string Value, string[] Strings) ParseRecord(string output)
    {
        var match = RecordLine().Match(output);
        Assert.True(match.Success, output);
        var strings = match.Groups["strings"].Value.Split('"').Where((_, i) => i % 2 == 1).ToArray();
        return (match.Groups["selector"].Value, match.Groups["domain"].Value, string.Concat(strings), strings);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Dkim_keygen_writes_a_private_key_for_the_owner_alone_and_prints_the_record_in_strings_of_at_most_255()
    {
        var rsa = ParseRecord(await NodeCommandAsync("dkim-keygen", "--data-dir", DataDir, "--domain", "Example.com", "--selector", "s1"));
        var ed25519 = ParseRecord(await NodeCommandAsync("dkim-keygen", "--data-dir", DataDir, "--domain", "example.com", "--selector", "ed1", "--algorithm", "ed25519"));

        Assert.Equal(("s1", "example.com"), (rsa.Selector, rsa.Domain));
        Assert.StartsWith("v=DKIM1; k=rsa; p=MIIB", rsa.Value);
        Assert.True(rsa.Strings.Length > 1 && rsa.Strings.All(s => s.Length <= 255), string.Join(" | ", rsa.Strings));
        Assert.Matches("^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$", ed25519.Value);
        foreach (var file in new[] { "s1.example.com.pem", "ed1.example.com.pem" })
        {
            var path = Path.Combine(DataDir, "dkim", file);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(path));
        }
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            NodeCommandAsync("dkim-keygen", "--data-dir", DataDir, "--domain", "example.com", "--selector", "s1"));
        Assert.Contains("exists; a key is never overwritten", again.Message);
    }

    [Fact]
    public async Task A_node_signs_at_accept_and_the_receiver_gets_signatures_opendkim_verifies()
    {
        var rsa = ParseRecord(await NodeCommandAsync("dkim-keygen", "--data-dir", DataDir, "--domain", "example.com", "--selector", "s1"));
        var ed25519 = ParseRecord(await NodeCommandAsync("dkim-keygen", "--data-dir", DataDir, "--domain", "example.com", "--selector", "ed1", "--algorithm", "ed25519"));
        using var opendkim = new OpenDkimVerifier();
        opendkim.AddKey("s1", "example.com", rsa.Value);
        opendkim.AddKey("ed1", "example.com", ed25519.Value);

        await using var sink = await SmtpSink.StartAsync(dump: true);
        var port = FreePort.Next();
        var domains = await NodeConfig.WriteRouteToAsync(Path.Combine(_dir, "domains.yaml"), sink.EndPoint.Port);
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), DataDir, port, $"""
            Delivery:
              DomainsFile: {domains}
            Dkim:
              Domains:
                example.com:
                  Selector: s1
                  AdditionalKeys:
                    ed1:
                      Algorithm: ed25519-sha256
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);
        await node.WaitForOutputAsync("SMTP listener relay", TimeSpan.FromSeconds(60));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var client = await LineSmtpClient.ConnectAsync(port, timeout.Token))
        {
            await client.CommandAsync("EHLO app.example.com", timeout.Token);
            // The lane field is cut out before signing: the signature covers what the receiver gets.
            var signed = Encoding.ASCII.GetBytes("From: =?UTF-8?B?5byg5LiJ?= <news@mail.example.com>\r\nX-MtaCluster-Lane: bulk\r\n" +
                "To: <user@example.net>\r\nSubject: =?UTF-8?B?5rWL6K+V6YKu5Lu2?=\r\n =?UTF-8?B?56ys5LqM6KGM?=\r\nMessage-ID: <e2e.1@example.com>\r\n\r\n" +
                "the body\r\n  with  spaces \r\n\r\n");
            Assert.StartsWith("250 2.0.0", await client.SendAsync("news@mail.example.com", ["user@example.net"], signed, timeout.Token));
            var unsigned = Encoding.ASCII.GetBytes("From: <someone@example.org>\r\nTo: <user@example.net>\r\nSubject: not ours\r\n\r\nbody\r\n");
            Assert.StartsWith("250 2.0.0", await client.SendAsync("someone@example.org", ["other@example.net"], unsigned, timeout.Token));
        }

        var dumps = await sink.WaitForDumpsAsync(2);
        Assert.Equal(2, dumps.Length);
        Assert.DoesNotContain("DKIM-Signature", Assert.Single(dumps, d => d.Contains("not ours")));
        var received = Assert.Single(dumps, d => d.Contains("the body")).ReplaceLineEndings("\r\n");
        Assert.DoesNotContain("X-MtaCluster-Lane", received);
        Assert.Equal(2, Regex.Count(received, "^DKIM-Signature:", RegexOptions.Multiline));

        // opendkim judges one signature per message: each with the other taken out.
        var rsaOnly = await opendkim.VerifyAsync(Encoding.UTF8.GetBytes(WithoutSignature(received, "ed1")));
        var ed25519Only = await opendkim.VerifyAsync(Encoding.UTF8.GetBytes(WithoutSignature(received, "s1")));
        Assert.Equal(["s=s1, d=example.com"], OpenDkimVerifier.Succeeded(rsaOnly));
        Assert.Equal(["s=ed1, d=example.com"], OpenDkimVerifier.Succeeded(ed25519Only));

        node.Signal(NodeProcess.SIGTERM);
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_node_whose_key_file_is_missing_refuses_to_start_with_one_line()
    {
        var config = await NodeConfig.WriteRelayNodeAsync(Path.Combine(_dir, "node.yaml"), DataDir, FreePort.Next(), """
            Delivery:
              Hold: true
            Dkim:
              Domains:
                example.com:
                  Selector: s1
            """);
        await using var node = NodeProcess.Start(_dir, ["--config", config]);

        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(node.Output, l => l.Length > 0);
        Assert.StartsWith($"error: {config}:", line);
        Assert.Contains("Dkim:Domains:example.com:KeyPath", line);
        Assert.Contains("dkim-keygen --domain example.com --selector s1", line);
    }

    private static string WithoutSignature(string message, string selector)
    {
        var lines = message.Split("\r\n").ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            if (!lines[i].StartsWith("DKIM-Signature:", StringComparison.Ordinal)) continue;
            var end = i + 1;
            while (end < lines.Count && lines[end].StartsWith('\t')) end++;
            if (!string.Concat(lines[i..end]).Contains($"s={selector};", StringComparison.Ordinal)) continue;
            lines.RemoveRange(i, end - i);
            return string.Join("\r\n", lines);
        }
        throw new InvalidOperationException($"no signature of selector {selector}");
    }
}
