using Microsoft.Extensions.Configuration;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Mail;
using MtaCluster.Node.Configuration;

namespace MtaCluster.Node.Tests.Configuration;

public sealed class TenantConfigurationValidationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-tenants-").FullName;

    public TenantConfigurationValidationTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "cluster-config"));
        File.WriteAllText(Path.Combine(_dir, "cluster-config", "node.yaml"), "Node:\n  Name: ~\nDelivery:\n  Hold: false\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string OverridePath => Path.Combine(_dir, "override.yaml");

    private IConfigurationRoot Build(string? yaml = null, Dictionary<string, string?>? environment = null)
    {
        var args = new List<string>();
        if (yaml is not null)
        {
            File.WriteAllText(OverridePath, yaml);
            args.AddRange(["--config", OverridePath]);
        }
        return NodeConfiguration.Build(NodeCommandLine.Parse(args), _dir, environment ?? []);
    }

    private string SingleError(string yaml) => Assert.Single(NodeConfigurationValidator.Validate(Build(yaml))).ToString();

    [Fact]
    public void Two_tenants_as_the_issue_writes_them_validate_and_bind()
    {
        var configuration = Build("""
            Tenants:
              acme:
                Users: [app1]
                Weight: 3
                DefaultLane: bulk
                MaxMessagesPerHour: 1000
              Shop:
                Users: [web, worker]
                DefaultLane: Transactional
            Delivery:
              BulkFloor: 0.25
            """);

        Assert.Empty(NodeConfigurationValidator.Validate(configuration));
        var directory = new TenantDirectory(NodeConfigurationSections.Bind<TenantsOptions>(configuration));
        Assert.Equal(new Tenant("acme", 3, DeliveryLane.Bulk, 1000), directory.ForSubmission("app1"));
        Assert.Equal(new Tenant("shop", 1, DeliveryLane.Transactional, null), directory.ForSubmission("worker"));
        Assert.Equal(Tenant.BuiltInDefault, directory.ForSubmission(null));
        Assert.Equal(0.25, NodeConfigurationSections.Bind<DeliveryOptions>(configuration).BulkFloor);
    }

    [Fact]
    public void A_user_listed_under_two_tenants_is_refused_where_it_is_listed_again()
    {
        var error = SingleError("Tenants:\n  acme:\n    Users: [app1, app2]\n  shop:\n    Users: [web, App2]\n");
        Assert.Equal($"{OverridePath}:5:18: Tenants:shop:Users:1: 'App2' is not valid: expected a user of no other tenant; it already submits as tenant acme", error);
    }

    [Fact]
    public void A_user_listed_twice_across_layers_is_refused_at_the_higher_layer()
    {
        var errors = NodeConfigurationValidator.Validate(Build("Tenants:\n  acme:\n    Users: [app1]\n", new() { ["MTA_Tenants__shop__Users__0"] = "app1" }));
        Assert.Equal(
            "environment variable MTA_Tenants__shop__Users__0: Tenants:shop:Users:0: 'app1' is not valid: expected a user of no other tenant; it already submits as tenant acme",
            Assert.Single(errors).ToString());
    }

    [Theory]
    [InlineData("Weight: 0", "Tenants:acme:Weight: '0' is not valid: expected a whole number of at least 1")]
    [InlineData("Weight: -2", "Tenants:acme:Weight: '-2' is not valid: expected a whole number of at least 1")]
    [InlineData("Weight: heavy", "Tenants:acme:Weight: 'heavy' is not valid: expected a whole number of at least 1")]
    [InlineData("DefaultLane: urgent", "Tenants:acme:DefaultLane: 'urgent' is not valid: expected bulk or transactional")]
    [InlineData("DefaultLane: 1", "Tenants:acme:DefaultLane: '1' is not valid: expected bulk or transactional")]
    [InlineData("MaxMessagesPerHour: -1", "Tenants:acme:MaxMessagesPerHour: '-1' is not valid: expected 0 (no limit) or a whole number of messages")]
    [InlineData("Wieght: 2", "Tenants:acme:Wieght: unknown setting (did you mean Weight?)")]
    [InlineData("Users: app1", "Tenants:acme:Users: 'app1' is not valid: expected a list, not a single value")]
    public void A_bad_tenant_setting_is_refused_in_one_line(string setting, string expected)
    {
        var error = SingleError($"Tenants:\n  acme:\n    {setting}\n");
        Assert.StartsWith($"{OverridePath}:3:", error);
        Assert.EndsWith(expected, error);
    }

    [Fact]
    public void A_tenant_name_that_cannot_go_into_the_spool_is_refused_at_the_name()
    {
        var error = SingleError("Tenants:\n  \"acme corp\":\n    Weight: 2\n    Users: [a]\n");
        Assert.Equal($"{OverridePath}:2:3: Tenants:acme corp: {TenantName.Rule}", error);
    }

    [Theory]
    [InlineData("-0.1")]
    [InlineData("0.6")]
    [InlineData("ten percent")]
    public void A_bulk_floor_outside_zero_to_a_half_is_refused(string value)
    {
        var error = Assert.Single(NodeConfigurationValidator.Validate(Build(environment: new() { ["MTA_Delivery__BulkFloor"] = value }))).ToString();
        Assert.Equal($"environment variable MTA_Delivery__BulkFloor: Delivery:BulkFloor: '{value}' is not valid: expected a number from 0 to 0.5 (above it bulk would outrank transactional mail)", error);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.5")]
    [InlineData("0.1")]
    public void A_bulk_floor_from_zero_to_a_half_passes(string value)
    {
        Assert.Empty(NodeConfigurationValidator.Validate(Build(environment: new() { ["MTA_Delivery__BulkFloor"] = value })));
    }
}
