using Microsoft.Extensions.Configuration;
using MtaCluster.Node.Configuration;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Tests.Configuration;

/// <summary>
/// Smtp:Listeners is a map keyed by name, bound over the three defaults: a later layer changes what it
/// names and nothing else. As a list it merged by index, and MTA_Smtp__Listeners__0__Port dropped the
/// submission listeners without a word.
/// </summary>
public sealed class ListenerConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-listeners-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly (string, string, int, SmtpListenerKind, bool)[] DefaultListeners =
    [
        ("relay", "127.0.0.1", 2525, SmtpListenerKind.Relay, false),
        ("submission", "0.0.0.0", 2587, SmtpListenerKind.Submission, true),
        ("submissions", "0.0.0.0", 2465, SmtpListenerKind.ImplicitTls, true),
    ];

    /// <summary>Binds through the node's layers: the shipped node.yaml, then --config, then the environment.</summary>
    private static SmtpServerOptions Bind(IDictionary<string, string?> environment, string? configFile = null)
    {
        var args = configFile is null ? Array.Empty<string>() : ["--config", configFile];
        var configuration = NodeConfiguration.Build(NodeCommandLine.Parse(args), environment: environment);
        return configuration.GetSection("Smtp").Get<SmtpServerOptions>() ?? new SmtpServerOptions();
    }

    private static IEnumerable<(string, string, int, SmtpListenerKind, bool)> Described(SmtpServerOptions options) =>
        options.EffectiveListeners().Select(l => (l.Name, l.Address, l.Port, l.Kind, l.RequiresAuth));

    [Fact]
    public void The_defaults_keep_their_ports_and_behaviour()
    {
        Assert.Equal(DefaultListeners, Described(new SmtpServerOptions()));
        Assert.Equal(DefaultListeners, Described(Bind(new Dictionary<string, string?>())));
        Assert.Empty(Bind(new Dictionary<string, string?>()).DisabledListeners());
    }

    [Fact]
    public void An_environment_override_of_one_listener_changes_only_that_setting_and_keeps_the_others()
    {
        var options = Bind(new Dictionary<string, string?> { ["MTA_Smtp__Listeners__relay__Port"] = "2526" });
        Assert.Equal([("relay", "127.0.0.1", 2526, SmtpListenerKind.Relay, false), .. DefaultListeners[1..]], Described(options));
    }

    [Fact]
    public void A_listener_setting_alone_binds_over_the_built_in_default_too()
    {
        // No node.yaml at all: the merge comes from the binding over the pre-filled map, not from the file.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([KeyValuePair.Create<string, string?>("Smtp:Listeners:submission:Port", "3587")])
            .Build();
        var options = configuration.GetSection("Smtp").Get<SmtpServerOptions>()!;
        Assert.Equal([DefaultListeners[0], ("submission", "0.0.0.0", 3587, SmtpListenerKind.Submission, true), DefaultListeners[2]], Described(options));
    }

    [Fact]
    public void Names_match_whatever_their_case_like_every_configuration_key()
    {
        var options = Bind(new Dictionary<string, string?> { ["MTA_Smtp__Listeners__Relay__Port"] = "2526" });
        Assert.Equal([("relay", "127.0.0.1", 2526, SmtpListenerKind.Relay, false), .. DefaultListeners[1..]], Described(options));
    }

    [Fact]
    public void Enabled_false_turns_a_default_listener_off()
    {
        var options = Bind(new Dictionary<string, string?> { ["MTA_Smtp__Listeners__submissions__Enabled"] = "false" });
        Assert.Equal(DefaultListeners[..2], Described(options));
        Assert.Equal(["submissions"], options.DisabledListeners());
    }

    [Fact]
    public void A_new_name_adds_a_listener_after_the_defaults()
    {
        var config = Path.Combine(_dir, "extra.yaml");
        File.WriteAllText(config, """
            Smtp:
              Listeners:
                internal:
                  Port: 2600
                  Kind: Submission
                relay:
                  RequireAuth: true
            """);
        var options = Bind(new Dictionary<string, string?> { ["MTA_Smtp__Listeners__backup__Port"] = "2601" }, config);
        Assert.Equal(
        [
            ("relay", "127.0.0.1", 2525, SmtpListenerKind.Relay, true),
            DefaultListeners[1],
            DefaultListeners[2],
            ("backup", "127.0.0.1", 2601, SmtpListenerKind.Relay, false),
            ("internal", "127.0.0.1", 2600, SmtpListenerKind.Submission, true),
        ], Described(options));
    }

    [Fact]
    public void Option_objects_never_share_a_default_listener()
    {
        var first = new SmtpServerOptions();
        first.Listeners["relay"].Port = 1;
        Assert.Equal(2525, new SmtpServerOptions().Listeners["relay"].Port);
    }
}
