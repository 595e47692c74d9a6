using MtaCluster.Delivery.Scheduling;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Tests.Tenants;

public class TenantDirectoryTests
{
    private static TenantsOptions Options(params (string Name, TenantOptions Tenant)[] tenants)
    {
        var options = new TenantsOptions();
        foreach (var (name, tenant) in tenants) options[name] = tenant;
        return options;
    }

    [Fact]
    public void An_auth_user_submits_as_the_tenant_that_lists_it()
    {
        var directory = new TenantDirectory(Options(
            ("Acme", new TenantOptions { Users = ["app1", "app2"], Weight = 3 }),
            ("shop", new TenantOptions { Users = ["web"], DefaultLane = DeliveryLane.Transactional, MaxMessagesPerHour = 500 })));

        Assert.Equal(new Tenant("acme", 3, DeliveryLane.Bulk, null), directory.ForSubmission("app2"));
        // AUTH user names are configuration keys, which are case-insensitive.
        Assert.Equal("acme", directory.ForSubmission("APP1").Name);
        Assert.Equal(new Tenant("shop", 1, DeliveryLane.Transactional, 500), directory.ForSubmission("web"));
        Assert.Same(directory.Find("shop"), directory.ForSubmission("web"));
    }

    [Fact]
    public void Mail_without_auth_and_users_no_tenant_lists_belong_to_default()
    {
        var directory = new TenantDirectory(Options(("acme", new TenantOptions { Users = ["app1"] })));

        Assert.Equal(Tenant.BuiltInDefault, directory.ForSubmission(null));
        Assert.Equal(Tenant.BuiltInDefault, directory.ForSubmission("someone-else"));
        Assert.Equal(["acme", "default"], directory.All.Select(t => t.Name).Order());
        Assert.Equal(new Tenant("default", 1, DeliveryLane.Bulk, null), new TenantDirectory(null).Default);
    }

    [Fact]
    public void The_default_tenant_can_be_configured_like_any_other()
    {
        var directory = new TenantDirectory(Options(("Default", new TenantOptions { Weight = 2, DefaultLane = DeliveryLane.Transactional })));

        Assert.Equal(new Tenant("default", 2, DeliveryLane.Transactional, null), directory.ForSubmission(null));
    }

    [Fact]
    public void What_start_up_validation_refuses_cannot_build_a_directory()
    {
        Assert.Throws<ArgumentException>(() => new TenantDirectory(Options(("a", new TenantOptions { Users = ["u"] }), ("b", new TenantOptions { Users = ["U"] }))));
        Assert.Throws<ArgumentException>(() => new TenantDirectory(Options(("a", new TenantOptions { Weight = 0 }))));
        Assert.Throws<ArgumentException>(() => new TenantDirectory(Options(("a", new TenantOptions { DefaultLane = (DeliveryLane)7 }))));
        Assert.Throws<ArgumentException>(() => new TenantDirectory(Options(("no spaces", new TenantOptions()))));
    }

    [Theory]
    [InlineData(RequestedLane.Transactional, true, DeliveryLane.Transactional)]
    [InlineData(RequestedLane.Bulk, true, DeliveryLane.Bulk)]
    [InlineData(RequestedLane.None, true, DeliveryLane.Transactional)]
    [InlineData(RequestedLane.Unknown, true, DeliveryLane.Transactional)]
    [InlineData(RequestedLane.Bulk, false, DeliveryLane.Transactional)]
    public void A_message_chooses_its_lane_only_from_a_client_that_may(RequestedLane requested, bool mayChoose, DeliveryLane expected)
    {
        var tenant = new Tenant("shop", 1, DeliveryLane.Transactional, null);
        Assert.Equal(expected, TenantDirectory.LaneFor(tenant, requested, mayChoose));
    }

    [Fact]
    public void Neither_authenticated_nor_trusted_cannot_jump_to_the_transactional_lane()
    {
        Assert.Equal(DeliveryLane.Bulk, TenantDirectory.LaneFor(Tenant.BuiltInDefault, RequestedLane.Transactional, clientMayChoose: false));
    }
}
