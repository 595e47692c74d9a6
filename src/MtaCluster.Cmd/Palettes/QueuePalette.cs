using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta queue</c>: the queue as a whole and by domain.</summary>
public static class QueuePalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var queue = PbmCommandKit.Child(MtaPalette.Of(root), "queue", "The queue");
        queue.Add(kit.Leaf("summary", "Recipients by state, and the oldest queued", _ => "/api/queue", Views.QueueSummary));
        var count = new Option<int>("-n", "--count") { Description = "How many domains", DefaultValueFactory = _ => 10 };
        count.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000) r.AddError("-n must be from 1 to 1000");
        });
        var top = kit.Leaf("top", "The domains with most mail queued: oldest, last error, throttle", r => $"/api/queue/top?n={r.GetValue(count)}&live=true", Views.QueueTop);
        top.Add(count);
        queue.Add(top);
        var domain = new Argument<string>("domain") { Description = "A destination domain" };
        var show = kit.Leaf("show", "One domain's queue, last error and effective policy (and why)", r => $"/api/domains/{Uri.EscapeDataString(r.GetValue(domain)!)}", Views.DomainShow);
        show.Add(domain);
        queue.Add(show);
    }
}
