using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Tests;

public class DomainPolicyTenantLimitsTests
{
    private static DomainPolicyResolver Resolver(string yaml) => new(DomainPolicyLoader.Parse(yaml));

    [Fact]
    public void Limits_under_a_domain_apply_to_that_tenant_there_only()
    {
        var resolver = Resolver("""
            domains:
              example.com:
                tenants:
                  Acme: { max-messages-per-minute: 100 }
            """);

        var policy = resolver.Resolve("example.com").Policy;
        Assert.Equal(new TenantRateLimits(100, null), policy.LimitsFor("acme"));
        Assert.True(policy.LimitsFor("other").IsUnlimited);
        Assert.Empty(resolver.Resolve("example.org").Policy.TenantLimits);
    }

    [Fact]
    public void Limits_under_an_mx_pattern_apply_to_its_throttle_group()
    {
        var resolver = Resolver("""
            mx-patterns:
              - name: google
                match: ["*.google.com"]
                tenants:
                  acme: { max-messages-per-hour: 5000 }
            """);

        var mx = Assert.Single(resolver.Configuration.MxPolicies);
        Assert.Equal(new TenantRateLimits(null, 5000), mx.Policy.LimitsFor("acme"));
    }

    [Fact]
    public void A_domain_inherits_the_default_tenant_limits_setting_by_setting_and_zero_lifts_one()
    {
        var resolver = Resolver("""
            default:
              tenants:
                acme: { max-messages-per-minute: 10, max-messages-per-hour: 300 }
                shop: { max-messages-per-minute: 50 }
            domains:
              example.com:
                tenants:
                  acme: { max-messages-per-minute: 20 }
                  shop: { max-messages-per-minute: 0 }
              example.org:
                max-connections: 2
            """);

        var com = resolver.Resolve("example.com").Policy;
        Assert.Equal(new TenantRateLimits(20, 300), com.LimitsFor("acme"));
        Assert.True(com.LimitsFor("shop").IsUnlimited);
        Assert.Equal(new TenantRateLimits(10, 300), resolver.Resolve("example.org").Policy.LimitsFor("acme"));
        Assert.Equal(new TenantRateLimits(50, null), resolver.Resolve("example.org").Policy.LimitsFor("shop"));
    }

    [Fact]
    public void Bad_tenant_limits_are_each_named_with_their_path()
    {
        var ex = Assert.Throws<DomainPolicyConfigException>(() => DomainPolicyLoader.Parse("""
            domains:
              example.com:
                tenants:
                  "bad name": { max-messages-per-minute: 5 }
                  acme: { max-messages-per-minute: -1 }
                  Shop: { max-messages-per-hour: 5 }
                  shop: { max-messages-per-hour: 6 }
            """));

        Assert.Contains("domains[\"example.com\"].tenants[\"bad name\"]: a tenant name is", ex.Message);
        Assert.Contains("domains[\"example.com\"].tenants[\"acme\"].max-messages-per-minute: must be 0 (unlimited) or more, got -1", ex.Message);
        Assert.Contains("domains[\"example.com\"].tenants[\"Shop\"]: is listed twice", ex.Message);
    }

    [Fact]
    public void An_unknown_tenant_setting_is_refused_with_its_line()
    {
        var ex = Assert.Throws<DomainPolicyConfigException>(() => DomainPolicyLoader.Parse("""
            domains:
              example.com:
                tenants:
                  acme:
                    max-mesages-per-minute: 5
            """));

        Assert.Contains("unknown setting 'max-mesages-per-minute'", ex.Message);
        Assert.Contains("line 5", ex.Message);
    }

    [Fact]
    public void A_changed_tenant_limit_is_a_throttle_change_named_in_the_reload_log()
    {
        var before = Resolver("domains:\n  example.com:\n    tenants:\n      acme: { max-messages-per-minute: 100 }\n").Resolve("example.com").Policy;
        var after = Resolver("domains:\n  example.com:\n    tenants:\n      acme: { max-messages-per-minute: 50 }\n").Resolve("example.com").Policy;

        Assert.Equal(["tenants {acme: 100/min unlimited/h} -> {acme: 50/min unlimited/h}"], DomainPolicyComparer.Differences(before, after));
        Assert.True(DomainPolicyComparer.DiffersOnlyInThrottle(before, after));
        Assert.False(DomainPolicyComparer.SameSettings(before, after));
    }
}
