using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Configuration;

/// <summary>The real node binary refuses a bad configuration: exit 2, one line saying where and why, no stack trace.</summary>
public sealed class ConfigurationRefusalEndToEndTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private readonly string _dir = Directory.CreateTempSubdirectory("mta-refusal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> RefusedAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        await using var node = NodeProcess.Start(_dir, ["--data-dir", Path.Combine(_dir, "data"), .. args], environment);
        var exitCode = await node.WaitForExitAsync(ExitTimeout);
        // The node printed nothing else: no start-up log, no stack trace ("   at ..."), just the reason.
        var lines = node.Output.Where(l => l.Length > 0).ToList();
        Assert.True(exitCode == 2 && lines.Count == 1, $"exit code {exitCode}:{Environment.NewLine}{node.OutputText}");
        Assert.DoesNotContain(node.Output, l => l.Contains("   at ", StringComparison.Ordinal));
        Assert.StartsWith("error: ", lines[0]);
        return lines[0];
    }

    [Fact]
    public async Task A_config_file_with_a_misspelt_setting_is_refused_at_its_line()
    {
        var config = Path.Combine(_dir, "node.yaml");
        await File.WriteAllTextAsync(config, "Smtp:\n  MaxMesageSize: 1000\n");
        var line = await RefusedAsync(["--config", config]);
        Assert.Equal($"error: {config}:2:3: Smtp:MaxMesageSize: unknown setting (did you mean MaxMessageSize?)", line);
    }

    [Fact]
    public async Task Hold_yes_please_is_refused_with_what_is_expected()
    {
        // Before validation this was an unhandled binder exception: a stack trace and exit 134.
        var config = Path.Combine(_dir, "node.yaml");
        await File.WriteAllTextAsync(config, "Delivery:\n  Hold: yes-please\n");
        var line = await RefusedAsync(["--config", config]);
        Assert.Equal($"error: {config}:2:9: Delivery:Hold: 'yes-please' is not valid: expected true or false", line);
    }

    [Fact]
    public async Task A_bad_environment_variable_is_named()
    {
        var line = await RefusedAsync([], new Dictionary<string, string> { ["MTA_Smtp__MaxMesageSize"] = "1000" });
        Assert.Equal("error: environment variable MTA_Smtp__MaxMesageSize: Smtp:MaxMesageSize: unknown setting (did you mean MaxMessageSize?)", line);
    }

    [Fact]
    public async Task A_yaml_syntax_error_in_the_config_file_is_refused_at_its_line()
    {
        var config = Path.Combine(_dir, "node.yaml");
        await File.WriteAllTextAsync(config, "Delivery:\n  Hold: true\n Dns: 1\n");
        var line = await RefusedAsync(["--config", config]);
        Assert.StartsWith($"error: {config}:3:2: invalid YAML: ", line);
    }

    [Fact]
    public async Task A_domains_yaml_with_two_mistakes_is_refused_in_one_line()
    {
        var domains = Path.Combine(_dir, "domains.yaml");
        await File.WriteAllTextAsync(domains, "default:\n  max-connections: 0\n  max-recipients-per-transaction: 0\n");
        var line = await RefusedAsync([], new Dictionary<string, string> { ["MTA_Delivery__DomainsFile"] = domains });
        Assert.StartsWith($"error: {domains}: ", line);
        Assert.Contains("(1 of 2 errors in the file)", line);
    }

    [Fact]
    public async Task A_user_listed_under_two_tenants_is_refused_where_it_is_listed_again()
    {
        var config = Path.Combine(_dir, "node.yaml");
        await File.WriteAllTextAsync(config, "Tenants:\n  acme:\n    Users: [app1]\n  shop:\n    Users: [app1]\n");
        var line = await RefusedAsync(["--config", config]);
        Assert.Equal($"error: {config}:5:13: Tenants:shop:Users:0: 'app1' is not valid: expected a user of no other tenant; it already submits as tenant acme", line);
    }
}
