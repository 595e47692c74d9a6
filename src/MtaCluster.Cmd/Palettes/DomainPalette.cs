using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta domain</c>: steering delivery to one destination domain, from any node of the cluster.</summary>
public static class DomainPalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var domain = PbmCommandKit.Child(MtaPalette.Of(root), "domain", "One destination domain: suspend, resume, flush, policy");

        var name = DomainArgument();
        var until = new Option<string?>("--until") { Description = "When the suspension ends by itself: an ISO 8601 time (2026-12-24T18:00:00Z) or a duration from now (90s, 30m, 2h, 7d); default until resumed" };
        var reason = new Option<string?>("--reason") { Description = "Why, for whoever looks later (pbm mta queue show)" };
        var suspend = kit.Act("suspend", "Stop starting deliveries to the domain (those under way finish); mail stays queued",
            HttpMethod.Post, r => Path(r, name, "suspend"), r => new { Until = r.GetValue(until), Reason = r.GetValue(reason) }, Views.DomainSuspended);
        suspend.Add(name);
        suspend.Add(until);
        suspend.Add(reason);
        domain.Add(suspend);

        var resumeName = DomainArgument();
        var resume = kit.Act("resume", "Lift the domain's suspension: delivery restarts at once",
            HttpMethod.Post, r => Path(r, resumeName, "resume"), _ => null, Views.DomainResumed);
        resume.Add(resumeName);
        domain.Add(resume);

        var flushName = DomainArgument();
        var flush = kit.Act("flush", "Retry now: every queued recipient of the domain is due at once, and any backoff ends",
            HttpMethod.Post, r => Path(r, flushName, "flush"), _ => null, Views.DomainFlushed);
        flush.Add(flushName);
        domain.Add(flush);

        var policyName = DomainArgument();
        var policy = kit.Leaf("policy", "The effective policy and why it applies; the live throttle state where this node delivers to it",
            r => Path(r, policyName, "policy"), Views.DomainPolicy);
        policy.Add(policyName);
        domain.Add(policy);
    }

    private static Argument<string> DomainArgument() => new("domain") { Description = "A destination domain" };

    private static string Path(ParseResult result, Argument<string> name, string action) =>
        $"/api/domains/{Uri.EscapeDataString(result.GetValue(name)!)}/{action}";
}
