using Microsoft.Extensions.Configuration;
using MtaCluster.Mime.Dkim;
using MtaCluster.Node.Configuration;
using MtaCluster.Node.Dkim;

namespace MtaCluster.Node.Tests.Dkim;

/// <summary>The Dkim section: what the validator refuses before start, and the keys the node reads when it builds its signer.</summary>
public sealed class DkimConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-dkim-config-").FullName;

    public DkimConfigurationTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cluster-config"));
        File.WriteAllText(Path.Combine(_dir, "cluster-config", "node.yaml"), $"Node:\n  DataDir: {Path.Combine(_dir, "data")}\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IConfigurationRoot Build(string yaml)
    {
        var path = Path.Combine(_dir, "override.yaml");
        File.WriteAllText(path, yaml);
        return NodeConfiguration.Build(NodeCommandLine.Parse(["--config", path]), _dir, new Dictionary<string, string?>());
    }

    private string DataDir => Path.Combine(_dir, "data");

    private string WriteKey(string name, string pem)
    {
        var path = Path.Combine(DataDir, "dkim", name);
        DkimKeyFile.Write(path, pem);
        return path;
    }

    private DkimSigner? Signer(IConfigurationRoot configuration) =>
        DkimSignerFactory.Create(NodeConfigurationSections.Bind<DkimOptions>(configuration), DataDir, configuration);

    [Theory]
    [InlineData("Algorithm: rsa-sha1", "Dkim:Domains:example.com:Algorithm: 'rsa-sha1' is not valid: expected rsa-sha256 or ed25519-sha256")]
    [InlineData("Canonicalization: relaxed/loose", "Dkim:Domains:example.com:Canonicalization: 'relaxed/loose' is not valid: expected relaxed/relaxed, simple/simple")]
    [InlineData("Selector: \"s 1\"", "Dkim:Domains:example.com:Selector: 's 1' is not valid: expected a selector")]
    [InlineData("Keypath: x.pem", "Dkim:Domains:example.com:Keypath")]
    [InlineData("Selectr: s1", "Dkim:Domains:example.com:Selectr: unknown setting (did you mean Selector?)")]
    [InlineData("Headers: [Subject, \"Bad:Name\"]", "Dkim:Domains:example.com:Headers:1: 'Bad:Name' is not valid: expected a header field name")]
    public void The_validator_refuses_a_bad_setting_of_a_domain_and_names_it(string setting, string expected)
    {
        var errors = NodeConfigurationValidator.Validate(Build($"Dkim:\n  Domains:\n    example.com:\n      {setting}\n"));

        if (setting.StartsWith("Keypath", StringComparison.Ordinal))
        {
            // Keys are case-insensitive, as everywhere in the configuration.
            Assert.Empty(errors);
            return;
        }
        Assert.Contains(expected, Assert.Single(errors).ToString());
    }

    [Fact]
    public void The_validator_refuses_a_domain_that_is_no_domain_name_and_a_bad_default()
    {
        var errors = NodeConfigurationValidator.Validate(Build("Dkim:\n  DefaultDomain: not a domain\n  Domains:\n    localhost:\n      Selector: s1\n"));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.ToString().Contains("Dkim:DefaultDomain: 'not a domain' is not valid: expected a domain name"));
        Assert.Contains(errors, e => e.ToString().Contains("Dkim:Domains:localhost: expected a domain name"));
    }

    [Fact]
    public void No_domains_is_no_signer()
    {
        Assert.Null(Signer(Build("Node:\n  Name: n1\n")));
    }

    [Fact]
    public void Keys_are_read_from_their_default_path_in_the_data_dir_and_from_a_relative_KeyPath()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        WriteKey("s1.example.com.pem", DkimKeyFile.ToPem(rsa));
        Ed25519PrivateKey.Generate(out var seed);
        WriteKey("elsewhere.pem", DkimKeyFile.Ed25519ToPem(seed));

        var signer = Signer(Build("""
            Dkim:
              DefaultDomain: example.com
              ExpireAfter: 7.00:00:00
              Domains:
                example.com:
                  Selector: s1
                  Headers: [From, Subject]
                  AdditionalKeys:
                    ed1:
                      KeyPath: dkim/elsewhere.pem
                      Algorithm: ed25519-sha256
            """));

        var domain = Assert.Single(Assert.IsType<DkimSigner>(signer).Domains);
        Assert.Equal(["s1", "ed1"], domain.Keys.Select(k => k.Selector));
        Assert.Equal([DkimAlgorithm.RsaSha256, DkimAlgorithm.Ed25519Sha256], domain.Keys.Select(k => k.Key.Algorithm));
        Assert.Equal(["from", "subject"], domain.Headers);
        Assert.Equal(DkimCanonicalization.RelaxedRelaxed, domain.Canonicalization);
    }

    [Fact]
    public void A_missing_key_file_stops_the_start_naming_the_setting_and_the_command_that_makes_it()
    {
        var error = Assert.Throws<ConfigurationErrorException>(() => Signer(Build("Dkim:\n  Domains:\n    example.com:\n      Selector: s1\n")));

        Assert.Equal("Dkim:Domains:example.com:KeyPath", error.Error.Key);
        Assert.Contains("dkim-keygen --domain example.com --selector s1", error.Error.Problem);
        Assert.EndsWith("override.yaml", error.Error.Source);
    }

    [Fact]
    public void A_key_of_another_algorithm_than_configured_stops_the_start()
    {
        Ed25519PrivateKey.Generate(out var seed);
        WriteKey("s1.example.com.pem", DkimKeyFile.Ed25519ToPem(seed));

        var error = Assert.Throws<ConfigurationErrorException>(() => Signer(Build("Dkim:\n  Domains:\n    example.com:\n      Selector: s1\n")));

        Assert.Equal("Dkim:Domains:example.com:Algorithm", error.Error.Key);
        Assert.Contains("which is ed25519-sha256", error.Error.Problem);
    }

    [Fact]
    public void An_RSA_key_under_1024_bits_stops_the_start()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(768);
        WriteKey("s1.example.com.pem", DkimKeyFile.ToPem(rsa));

        var error = Assert.Throws<ConfigurationErrorException>(() => Signer(Build("Dkim:\n  Domains:\n    example.com:\n      Selector: s1\n")));

        Assert.Equal("Dkim:Domains:example.com:KeyPath", error.Error.Key);
        Assert.Contains("768 bits is too short", error.Error.Problem);
    }

    [Fact]
    public void A_file_that_is_no_private_key_stops_the_start()
    {
        WriteKey("s1.example.com.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var error = Assert.Throws<ConfigurationErrorException>(() => Signer(Build("Dkim:\n  Domains:\n    example.com:\n      Selector: s1\n")));

        Assert.Contains("not a private key", error.Error.Problem);
    }

    [Fact]
    public void A_default_domain_without_keys_stops_the_start()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        WriteKey("s1.example.com.pem", DkimKeyFile.ToPem(rsa));

        var error = Assert.Throws<ConfigurationErrorException>(() =>
            Signer(Build("Dkim:\n  DefaultDomain: example.org\n  Domains:\n    example.com:\n      Selector: s1\n")));

        Assert.Equal("Dkim:DefaultDomain", error.Error.Key);
    }
}
