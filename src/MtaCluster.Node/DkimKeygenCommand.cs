using System.Globalization;
using System.Security.Cryptography;
using MtaCluster.Mime.Dkim;
using MtaCluster.Node.Configuration;
using MtaCluster.Node.Dkim;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node;

/// <summary>
/// <c>dkim-keygen --domain D --selector S [--algorithm rsa|ed25519] [--bits N] [--out PATH]</c>: writes
/// a new private key as PKCS#8 PEM, readable by its owner alone (default: the data dir's
/// dkim/S.D.pem, where Dkim:Domains finds it without a KeyPath), and prints the TXT record to publish.
/// </summary>
public static class DkimKeygenCommand
{
    public const int DefaultRsaBits = 2048;
    private const int MaxRsaBits = 8192;

    public static async Task<int> RunAsync(NodeCommandLine commandLine)
    {
        string? domain = null, selector = null, output = null, algorithmName = "rsa", bitsText = null;
        var args = commandLine.Rest;
        for (var i = 0; i < args.Count; i++)
        {
            if (i + 1 >= args.Count) return await Fail($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--domain": domain = args[++i]; break;
                case "--selector": selector = args[++i]; break;
                case "--algorithm": algorithmName = args[++i]; break;
                case "--bits": bitsText = args[++i]; break;
                case "--out": output = args[++i]; break;
                default: return await Fail($"unknown option '{args[i]}'");
            }
        }
        if (string.IsNullOrWhiteSpace(domain) || string.IsNullOrWhiteSpace(selector)) return await Fail("--domain and --selector are required");
        domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        if (!DkimAlgorithmNames.TryParse(algorithmName, out var algorithm)) return await Fail($"--algorithm '{algorithmName}' is neither rsa nor ed25519");
        var bits = DefaultRsaBits;
        if (bitsText is not null && (algorithm != DkimAlgorithm.RsaSha256
            || !int.TryParse(bitsText, NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits < RsaSigningKey.MinimumKeySize || bits > MaxRsaBits))
        {
            return await Fail($"--bits '{bitsText}' is not valid: expected {RsaSigningKey.MinimumKeySize} to {MaxRsaBits}, for rsa only");
        }

        try
        {
            output ??= DkimKeyPaths.Default(DataDir(commandLine), domain, selector);
        }
        catch (FormatException ex)
        {
            return await Fail($"the data dir cannot be read from the configuration: {ex.Message}");
        }
        if (File.Exists(output)) return await Fail($"{output} exists; a key is never overwritten (its record may be published)");

        string pem;
        DkimSigningKey key;
        if (algorithm == DkimAlgorithm.RsaSha256)
        {
            var rsa = RSA.Create(bits);
            pem = DkimKeyFile.ToPem(rsa);
            key = new RsaSigningKey(rsa);
        }
        else
        {
            var ed25519 = Ed25519PrivateKey.Generate(out var seed);
            pem = DkimKeyFile.Ed25519ToPem(seed);
            key = new Ed25519SigningKey(ed25519);
        }
        using (key)
        {
            DkimKeyFile.Write(output, pem);
            await Console.Error.WriteLineAsync($"wrote the private key of {selector}._domainkey.{domain} ({DkimAlgorithmNames.Of(algorithm)}) to {output}; publish:");
            Console.WriteLine(DkimDnsRecord.ZoneLine(domain, selector, key.DnsRecordValue()));
        }
        return 0;
    }

    private static string DataDir(NodeCommandLine commandLine)
    {
        var configuration = NodeConfiguration.Build(commandLine);
        return NodeConfigurationSections.Bind<NodeOptions>(configuration).FullDataDir;
    }

    private static async Task<int> Fail(string message)
    {
        await Console.Error.WriteLineAsync($"error: {message}");
        await Console.Error.WriteLineAsync(NodeCommandLine.Usage);
        return 2;
    }
}
