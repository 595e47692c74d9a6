using Microsoft.Extensions.Configuration;
using MtaCluster.Node.Configuration;
using MtaCluster.Node.Hosting;

namespace MtaCluster.Node.Tests.Configuration;

public sealed class NodeConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-config-").FullName;

    public NodeConfigurationTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cluster-config"));
        File.WriteAllText(Path.Combine(_dir, "cluster-config", "node.yaml"), """
            Node:
              Name: from-default-file
              DataDir: ./default-data
              ShutdownTimeout: 00:00:30
            Smtp:
              MaxRecipients: 1000
            """);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteOverride(string yaml)
    {
        var path = Path.Combine(_dir, "override.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Default_file_alone_is_read()
    {
        var config = NodeConfiguration.Build(NodeCommandLine.Parse([]), _dir, new Dictionary<string, string?>());
        Assert.Equal("from-default-file", config["Node:Name"]);
        Assert.Equal("1000", config["Smtp:MaxRecipients"]);
    }

    [Fact]
    public void Config_file_overrides_the_default_file_and_keeps_what_it_does_not_set()
    {
        var path = WriteOverride("Node:\n  Name: from-config-file\n");
        var config = NodeConfiguration.Build(NodeCommandLine.Parse(["--config", path]), _dir, new Dictionary<string, string?>());
        Assert.Equal("from-config-file", config["Node:Name"]);
        Assert.Equal("./default-data", config["Node:DataDir"]);
    }

    [Fact]
    public void Environment_overrides_the_config_file()
    {
        var path = WriteOverride("Node:\n  Name: from-config-file\nSmtp:\n  MaxRecipients: 50\n");
        var env = new Dictionary<string, string?>
        {
            ["MTA_Node__Name"] = "from-environment",
            ["OTHER_Node__DataDir"] = "ignored: wrong prefix",
        };
        var config = NodeConfiguration.Build(NodeCommandLine.Parse(["--config", path]), _dir, env);
        Assert.Equal("from-environment", config["Node:Name"]);
        Assert.Equal("50", config["Smtp:MaxRecipients"]);
        Assert.Equal("./default-data", config["Node:DataDir"]);
    }

    [Fact]
    public void Data_dir_option_wins_over_everything()
    {
        var env = new Dictionary<string, string?> { ["MTA_Node__DataDir"] = "/from/env" };
        var config = NodeConfiguration.Build(NodeCommandLine.Parse(["--data-dir", "/from/cli"]), _dir, env);
        Assert.Equal("/from/cli", config.GetSection("Node").Get<NodeOptions>()!.DataDir);
    }

    [Fact]
    public void Real_process_environment_is_read_with_the_prefix()
    {
        var name = "MTA_Node__Name";
        Environment.SetEnvironmentVariable(name, "from-process-environment");
        try
        {
            var config = NodeConfiguration.Build(NodeCommandLine.Parse([]), _dir);
            Assert.Equal("from-process-environment", config["Node:Name"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Missing_config_file_is_an_error()
    {
        Assert.Throws<FileNotFoundException>(() =>
            NodeConfiguration.Build(NodeCommandLine.Parse(["--config", Path.Combine(_dir, "nope.yaml")]), _dir, new Dictionary<string, string?>()));
    }

    [Fact]
    public void Shipped_node_yaml_parses_and_binds()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "cluster-config", "node.yaml");
        Assert.True(File.Exists(shipped), "node.yaml is copied beside the binary");
        var config = new ConfigurationBuilder().AddYamlFile(shipped, optional: false).Build();
        var node = config.GetSection("Node").Get<NodeOptions>()!;
        Assert.Equal("./data", node.DataDir);
    }

    [Fact]
    public void Every_setting_in_the_shipped_node_yaml_binds_to_an_option_and_matches_its_default()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "cluster-config", "node.yaml");
        var config = new ConfigurationBuilder().AddYamlFile(shipped, optional: false).Build();
        // An unknown key (a typo, a setting that no longer exists) fails the bind.
        T Bind<T>(string section) where T : new() =>
            config.GetSection(section).Get<T>(o => o.ErrorOnUnknownConfiguration = true) ?? new T();

        var smtp = Bind<MtaCluster.Smtp.Server.SmtpServerOptions>("Smtp");
        var delivery = Bind<MtaCluster.Delivery.Domains.DeliveryOptions>("Delivery");
        var dns = Bind<MtaCluster.Node.Delivery.DnsOptions>("Dns");
        var sharding = Bind<ShardingOptions>("Sharding");
        var spool = Bind<MtaCluster.Node.Spooling.SpoolOptions>("Spool");
        Bind<NodeOptions>("Node");
        var tenants = Bind<MtaCluster.Delivery.Tenants.TenantsOptions>("Tenants");
        var dkim = Bind<MtaCluster.Node.Dkim.DkimOptions>("Dkim");

        // The file documents the defaults: it must not quietly differ from them.
        var defaults = new MtaCluster.Smtp.Server.SmtpServerOptions();
        Assert.Equal(defaults.MaxMessageSize, smtp.MaxMessageSize);
        Assert.Equal(defaults.MaxRecipients, smtp.MaxRecipients);
        Assert.Equal(defaults.DataTerminationTimeout, smtp.DataTerminationTimeout);
        // The listeners written out in node.yaml are the built-in defaults, setting for setting.
        Assert.Equal(
            defaults.EffectiveListeners().Select(l => (l.Name, l.Enabled, l.Address, l.Port, l.Kind, l.RequireAuth)),
            smtp.EffectiveListeners().Select(l => (l.Name, l.Enabled, l.Address, l.Port, l.Kind, l.RequireAuth)));
        Assert.Equal(defaults.Listeners.Keys.Order(), smtp.Listeners.Keys.Order());
        Assert.Null(smtp.TrustedNetworks);
        Assert.Equal(defaults.Content.StripNul, smtp.Content.StripNul);
        Assert.Equal("false", config["Smtp:Content:StripNul"]);
        Assert.Equal(new MtaCluster.Delivery.Domains.DeliveryOptions().FetchInterval, delivery.FetchInterval);
        Assert.False(delivery.Hold);
        Assert.Equal(25, delivery.RemotePort);
        var client = new MtaCluster.Smtp.Client.Connection.SmtpClientOptions();
        Assert.Equal(client.TlsHandshakeTimeout, delivery.Client.TlsHandshakeTimeout);
        Assert.Equal(client.DataTerminationTimeout, delivery.Client.DataTerminationTimeout);
        Assert.Equal(new MtaCluster.Node.Delivery.DnsOptions().CacheSize, dns.CacheSize);
        Assert.Equal(1024, sharding.MaxShards);
        Assert.Equal(new MtaCluster.Delivery.Domains.DeliveryOptions().MaxActiveDomains, delivery.MaxActiveDomains);
        Assert.Equal(new MtaCluster.Node.Delivery.DnsOptions().MaxConcurrentLookups, dns.MaxConcurrentLookups);
        Assert.Null(spool.MinFreeBytes);
        Assert.Equal(new MtaCluster.Node.Spooling.SpoolOptions().FreeSpaceCheckInterval, spool.FreeSpaceCheckInterval);
        Assert.Equal(MtaCluster.Delivery.Domains.DeliveryOptions.DefaultBulkFloor, delivery.BulkFloor);
        Assert.Equal("0.1", config["Delivery:BulkFloor"]);
        // Tenants are examples only: a fresh node has the built-in "default" tenant alone.
        Assert.Empty(tenants);
        // DKIM domains are examples only: a fresh node signs nothing.
        Assert.Empty(dkim.Domains);
        Assert.Null(dkim.DefaultDomain);
        Assert.Equal(new MtaCluster.Node.Dkim.DkimOptions().ExpireAfter, dkim.ExpireAfter);
    }

    [Theory]
    [InlineData("Smtp:Users:0:PasswordHash", true)]
    [InlineData("Storage:Postgres:ConnectionString", true)]
    [InlineData("Smtp:Auth:Users:app1", true)]
    [InlineData("smtp:auth:users:App1", true)]
    [InlineData("Admin:Token", true)]
    [InlineData("Cluster:Store:ConnectionString", true)]
    [InlineData("Dkim:Domains:example.com:PrivateKey", true)]
    [InlineData("Relay:Secrets:0:Value", true)]
    [InlineData("Node:DataDir", false)]
    [InlineData("Smtp:Auth:VerifiedCredentialLifetime", false)]
    public void Secrets_are_masked_in_the_effective_configuration(string key, bool secret)
    {
        Assert.Equal(secret, EffectiveConfiguration.IsSecret(key));
    }

    [Fact]
    public void The_start_up_dump_shows_no_password_hash()
    {
        const string Hash = "pbkdf2-sha256$1000$c2FsdA==$aGFzaA==";
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Smtp:Auth:Users:app1"] = Hash, ["Node:DataDir"] = "./data" })
            .Build();
        var lines = EffectiveConfiguration.Lines(configuration).ToList();
        Assert.Contains("Smtp:Auth:Users:app1 = ***", lines);
        Assert.Contains("Node:DataDir = ./data", lines);
        Assert.DoesNotContain(lines, l => l.Contains(Hash, StringComparison.Ordinal));
    }

    [Fact]
    public void Command_line_rejects_unknown_options()
    {
        Assert.Throws<ArgumentException>(() => NodeCommandLine.Parse(["--bogus"]));
        Assert.Throws<ArgumentException>(() => NodeCommandLine.Parse(["--config"]));
        Assert.Equal(NodeCommandLine.HashPasswordCommand, NodeCommandLine.Parse(["hash-password", "pw"]).Command);
    }
}
