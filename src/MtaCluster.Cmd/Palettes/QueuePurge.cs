using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta queue purge &lt;domain&gt; --confirm</c>: deletes a domain's queued recipients without a DSN (as <c>postsuper -d</c>).</summary>
public static class QueuePurge
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var queue = PbmCommandKit.Child(MtaPalette.Of(root), "queue", "The queue");
        var domain = new Argument<string>("domain") { Description = "A destination domain" };
        var confirm = new Option<bool>("--confirm") { Description = "Do it: without it pbm only says how many recipients it would delete" };
        var purge = new Command("purge", "Delete every queued recipient of the domain, with no DSN to anyone; messages left with none are removed");
        purge.Add(domain);
        purge.Add(confirm);
        purge.SetAction(async (result, ct) =>
        {
            var name = result.GetValue(domain)!;
            var path = $"/api/domains/{Uri.EscapeDataString(name)}";
            using var client = kit.Client(result);
            if (!result.GetValue(confirm))
            {
                // Nothing is deleted without the word: say what would go, as a usage error.
                var (queued, _) = await client.GetAsync(path, ct).ConfigureAwait(false);
                var count = queued.GetProperty("queued").GetInt64();
                await kit.Error.WriteLineAsync($"error: not purged: this would delete the {count} queued recipients of {queued.GetProperty("domain").GetString()} without a DSN; add --confirm to do it").ConfigureAwait(false);
                return PbmApp.Usage;
            }
            var (document, text) = await client.SendAsync(HttpMethod.Delete, path + "/queue?confirm=true", null, ct).ConfigureAwait(false);
            await kit.PrintAsync(result, document, text, Views.DomainPurged).ConfigureAwait(false);
            return PbmApp.Ok;
        });
        queue.Add(purge);
    }
}
