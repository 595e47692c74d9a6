using Microsoft.Extensions.Configuration;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Policies;
using MtaCluster.Node.Configuration;
using MtaCluster.Smtp.Auth;

namespace MtaCluster.Node.Tests.Configuration;

public sealed class NodeConfigurationValidatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-validate-").FullName;
    private readonly string _defaults;

    public NodeConfigurationValidatorTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cluster-config"));
        _defaults = Path.Combine(_dir, "cluster-config", "node.yaml");
        File.WriteAllText(_defaults, "Node:\n  Name: ~\nDelivery:\n  Hold: false\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IConfigurationRoot Build(string? overrideYaml = null, Dictionary<string, string?>? environment = null, string[]? args = null)
    {
        var commandLine = new List<string>(args ?? []);
        if (overrideYaml is not null)
        {
            var path = Path.Combine(_dir, "override.yaml");
            File.WriteAllText(path, overrideYaml);
            commandLine.AddRange(["--config", path]);
        }
        return NodeConfiguration.Build(NodeCommandLine.Parse(commandLine), _dir, environment ?? []);
    }

    private string OverridePath => Path.Combine(_dir, "override.yaml");

    private ConfigurationError SingleError(IConfigurationRoot configuration) => Assert.Single(NodeConfigurationValidator.Validate(configuration));

    [Fact]
    public void An_unknown_key_in_a_dictionary_owning_section_is_named_with_its_line_column_and_the_nearest_known_key()
    {
        var error = SingleError(Build("""
            Smtp:
              Auth:
                Userz:
                  app1: "pbkdf2-sha256$1$AA==$AA=="
            """));
        Assert.Equal($"{OverridePath}:3:5: Smtp:Auth:Userz: unknown setting (did you mean Users?)", error.ToString());
    }

    [Fact]
    public void A_misspelt_setting_is_refused_with_the_setting_meant()
    {
        var error = SingleError(Build("Smtp:\n  MaxMesageSize: 1000\n"));
        Assert.Equal($"{OverridePath}:2:3: Smtp:MaxMesageSize: unknown setting (did you mean MaxMessageSize?)", error.ToString());
    }

    [Fact]
    public void An_unknown_top_level_section_is_refused_and_the_known_ones_listed()
    {
        var error = NodeConfigurationValidator.Validate(Build("Deliveries:\n  Hold: true\nQueueing:\n  X: 1\n"))[0];
        Assert.Equal($"{OverridePath}:1:1: Deliveries: unknown section (did you mean Delivery?)", error.ToString());
        var errors = NodeConfigurationValidator.Validate(Build("Queueing:\n  X: 1\n"));
        Assert.Contains("unknown section (known: Node, Sharding, Spool, Cluster, Delivery, Dns, Smtp, Tenants, Dkim, Admin, Logging)", Assert.Single(errors).ToString());
    }

    [Fact]
    public void An_unknown_environment_variable_is_named_as_the_operator_set_it()
    {
        var error = SingleError(Build(environment: new() { ["MTA_Smtp__MaxMesageSize"] = "5" }));
        Assert.Equal("environment variable MTA_Smtp__MaxMesageSize: Smtp:MaxMesageSize: unknown setting (did you mean MaxMessageSize?)", error.ToString());
    }

    [Fact]
    public void An_unknown_key_below_a_dictionary_member_is_named_in_full_for_a_variable()
    {
        var error = SingleError(Build(environment: new() { ["MTA_Smtp__Auth__Userz__app1"] = "x" }));
        Assert.Equal("environment variable MTA_Smtp__Auth__Userz__app1: Smtp:Auth:Userz: unknown setting (did you mean Users?)", error.ToString());
    }

    [Fact]
    public void An_unknown_admin_setting_is_refused_with_the_nearest_known_one()
    {
        var error = SingleError(Build("Admin:\n  PublicMetric: true\n"));
        Assert.Equal($"{OverridePath}:2:3: Admin:PublicMetric: unknown setting (did you mean PublicMetrics?)", error.ToString());
    }

    [Fact]
    public void A_flag_that_is_not_true_or_false_is_refused_at_its_value()
    {
        var error = SingleError(Build("Delivery:\n  Hold: yes-please\n"));
        Assert.Equal($"{OverridePath}:2:9: Delivery:Hold: 'yes-please' is not valid: expected true or false", error.ToString());
    }

    [Theory]
    [InlineData("MTA_Delivery__RemotePort", "twenty-five", "expected a whole number")]
    [InlineData("MTA_Smtp__MaxMessageSize", "35M", "expected a whole number")]
    [InlineData("MTA_Node__ShutdownTimeout", "30s", "expected a duration like 00:05:00")]
    [InlineData("MTA_Smtp__Listeners__relay__Kind", "Relai", "expected one of Relay, Submission, ImplicitTls")]
    [InlineData("MTA_Smtp__Listeners__relay__Port", "smtp", "expected a whole number")]
    [InlineData("MTA_Spool__MinFreeBytes", "lots", "expected a whole number")]
    [InlineData("MTA_Delivery__Client__EnabledSslProtocols", "Tls4", "expected one or more of")]
    [InlineData("MTA_Delivery__Accounting__RotateInterval", "hourly", "expected a duration")]
    [InlineData("MTA_Admin__Listen", "9110", "expected address:port")]
    [InlineData("MTA_Admin__Listen", "localhost:9110", "expected address:port")]
    [InlineData("MTA_Admin__Listen", "127.0.0.1:99999", "expected address:port")]
    [InlineData("MTA_Admin__Enabled", "yes", "expected true or false")]
    [InlineData("MTA_Admin__PublicMetrics", "on", "expected true or false")]
    public void A_value_of_the_wrong_type_names_the_variable_the_value_and_what_is_expected(string variable, string value, string expected)
    {
        var error = SingleError(Build(environment: new() { [variable] = value }));
        var key = variable["MTA_".Length..].Replace("__", ":");
        Assert.StartsWith($"environment variable {variable}: {key}: '{value}' is not valid: ", error.ToString());
        Assert.Contains(expected, error.ToString());
    }

    [Theory]
    [InlineData("MTA_Delivery__RemotePort", "2525")]
    [InlineData("MTA_Node__ShutdownTimeout", "1.00:00:00")]
    [InlineData("MTA_Smtp__Listeners__relay__Kind", "implicittls")]
    [InlineData("MTA_Smtp__Listeners__relay__Port", "2526")]
    [InlineData("MTA_Smtp__Listeners__relay__RequireAuth", "")]
    [InlineData("MTA_Spool__MinFreeBytes", "")]
    [InlineData("MTA_Delivery__Client__EnabledSslProtocols", "Tls12, Tls13")]
    [InlineData("MTA_Smtp__TrustedNetworks__0", "10.0.0.0/8")]
    [InlineData("MTA_Dns__Servers__1", "127.0.0.1:53")]
    [InlineData("MTA_Logging__LogLevel__MtaCluster", "Debug")]
    [InlineData("MTA_node__dataDIR", "/var/spool/mta")]
    [InlineData("MTA_Admin__Listen", "0")]
    [InlineData("MTA_Admin__Listen", "127.0.0.1:0")]
    [InlineData("MTA_Admin__Listen", "[::1]:9110")]
    [InlineData("MTA_Admin__Listen", "0.0.0.0:9110")]
    [InlineData("MTA_Admin__Token", "s3cret-token")]
    [InlineData("MTA_Admin__Enabled", "false")]
    public void Values_the_binder_takes_pass(string variable, string value)
    {
        Assert.Empty(NodeConfigurationValidator.Validate(Build(environment: new() { [variable] = value })));
    }

    [Fact]
    public void A_map_members_unknown_key_is_refused()
    {
        var error = SingleError(Build("Smtp:\n  Listeners:\n    relay:\n      Prot: 2525\n"));
        Assert.Equal($"{OverridePath}:4:7: Smtp:Listeners:relay:Prot: unknown setting (did you mean Port?)", error.ToString());
    }

    [Fact]
    public void A_listener_addressed_by_its_old_list_position_is_refused()
    {
        var error = SingleError(Build("Smtp:\n  Listeners:\n    - Port: 2526\n"));
        Assert.StartsWith($"{OverridePath}:3:7: Smtp:Listeners:0: listeners are keyed by name", error.ToString());
    }

    [Fact]
    public void A_section_given_a_single_value_is_refused()
    {
        var error = SingleError(Build("Dns:\n  Servers: 127.0.0.1:53\n"));
        Assert.Equal($"{OverridePath}:2:12: Dns:Servers: '127.0.0.1:53' is not valid: expected a list, not a single value", error.ToString());
    }

    [Fact]
    public void A_setting_given_settings_under_it_is_refused()
    {
        var error = SingleError(Build("Delivery:\n  Hold:\n    Enabled: true\n"));
        Assert.Contains("Delivery:Hold:Enabled: unknown setting (Hold takes a value, not settings under it)", error.ToString());
    }

    [Fact]
    public void An_auth_user_whose_hash_is_malformed_is_refused_with_the_value_masked()
    {
        var error = SingleError(Build("Smtp:\n  Auth:\n    Users:\n      app1: hunter2\n"));
        Assert.StartsWith($"{OverridePath}:4:13: Smtp:Auth:Users:app1: '***' is not valid: expected a password hash", error.ToString());
        Assert.DoesNotContain("hunter2", error.ToString());
    }

    [Theory]
    [InlineData("pbkdf2-sha256$600000$c2FsdA==")]
    [InlineData("pbkdf2-sha256$0$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$many$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha1$600000$c2FsdA==$aGFzaA==")]
    [InlineData("pbkdf2-sha256$600000$c2FsdA==$not base64!")]
    [InlineData("pbkdf2-sha256$600000$c2FsdA==$")]
    public void Malformed_hashes_are_recognised(string hash)
    {
        Assert.False(PasswordHasher.IsWellFormed(hash));
        Assert.Single(NodeConfigurationValidator.Validate(Build(environment: new() { ["MTA_Smtp__Auth__Users__app1"] = hash })));
    }

    [Fact]
    public void A_hash_made_by_hash_password_passes()
    {
        var hash = PasswordHasher.Hash("secret", iterations: 1);
        Assert.True(PasswordHasher.IsWellFormed(hash));
        Assert.Empty(NodeConfigurationValidator.Validate(Build($"Smtp:\n  Auth:\n    Users:\n      app1: \"{hash}\"\n")));
    }

    [Fact]
    public void The_layer_whose_value_wins_is_the_one_named()
    {
        // A bad value in the defaults that the environment overrides does not stop the node ...
        File.WriteAllText(_defaults, "Delivery:\n  Hold: yes-please\n");
        Assert.Empty(NodeConfigurationValidator.Validate(Build(environment: new() { ["MTA_Delivery__Hold"] = "true" })));

        // ... and the highest layer that sets a key is the one blamed for it.
        var error = SingleError(Build("Delivery:\n  Hold: maybe\n", new() { ["MTA_Delivery__Hold"] = "perhaps" }));
        Assert.StartsWith("environment variable MTA_Delivery__Hold: Delivery:Hold: 'perhaps'", error.ToString());
        error = SingleError(Build("\n\nDelivery:\n  Hold: maybe\n"));
        Assert.StartsWith($"{OverridePath}:4:9: Delivery:Hold: 'maybe'", error.ToString());
    }

    [Fact]
    public void Every_mistake_is_found_and_the_summary_is_one_line_about_the_first()
    {
        var errors = NodeConfigurationValidator.Validate(Build("Smtp:\n  MaxRecipients: many\n  Auth:\n    Userz:\n      a: 1\n      b: 2\n"));
        Assert.Equal(2, errors.Count);
        var summary = NodeConfigurationValidator.Summary(errors);
        Assert.Equal($"error: {OverridePath}:2:18: Smtp:MaxRecipients: 'many' is not valid: expected a whole number from -2147483648 to 2147483647 (1 of 2 configuration errors)", summary);
    }

    [Fact]
    public void Not_set_values_pass()
    {
        Assert.Empty(NodeConfigurationValidator.Validate(Build("Node:\n  Name: ~\nSpool:\n  MinFreeBytes: ~\nSmtp:\n  Auth:\n    Users: {}\n")));
    }

    [Fact]
    public void The_shipped_node_yaml_and_domains_yaml_validate_clean()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "cluster-config", "node.yaml");
        var configuration = new ConfigurationBuilder().AddYamlFile(shipped, optional: false).Build();
        Assert.Empty(NodeConfigurationValidator.Validate(configuration));
        Assert.True(ConfigurationProvenance.Winners(configuration).Count > 50, "the walk saw the shipped settings");
        DomainPolicyLoader.Load(Path.Combine(AppContext.BaseDirectory, "cluster-config", "domains.yaml"));
    }

    [Fact]
    public void A_value_the_binder_refuses_later_becomes_the_same_one_line_error()
    {
        var configuration = Build("Delivery:\n  Hold: yes-please\n");
        var ex = Assert.Throws<ConfigurationErrorException>(() => NodeConfigurationSections.Bind<DeliveryOptions>(configuration));
        Assert.StartsWith($"{OverridePath}:2:9: Delivery:Hold: 'yes-please' is not valid: ", ex.Error.ToString());
    }

    [Fact]
    public void Only_registered_sections_can_be_bound()
    {
        Assert.Throws<InvalidOperationException>(() => NodeConfigurationSections.Bind<SmtpAuthOptions>(Build()));
    }

    [Fact]
    public void The_command_line_is_named_as_such()
    {
        var configuration = Build(args: ["--data-dir", "/tmp/x"]);
        Assert.Equal(("command line", (SourcePosition?)null), ConfigurationProvenance.Describe(configuration, "Node:DataDir"));
    }

    [Fact]
    public void A_domains_yaml_error_becomes_one_line_with_file_line_and_column()
    {
        var path = Path.Combine(_dir, "domains.yaml");
        File.WriteAllText(path, "default:\n  max-conections: 5\n");
        var ex = Assert.Throws<DomainPolicyConfigException>(() => DomainPolicyLoader.Load(path));
        Assert.Equal($"{path}:2:3: default.max-conections: unknown setting 'max-conections'", DomainPolicyErrorLine.ToError(ex).ToString());
    }
}
