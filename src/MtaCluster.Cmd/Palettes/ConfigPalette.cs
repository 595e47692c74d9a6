using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta config</c>: the node's configuration files.</summary>
public static class ConfigPalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var config = PbmCommandKit.Child(MtaPalette.Of(root), "config", "The node's configuration");
        var reload = new Command("reload", "Re-read domains.yaml and node.yaml's live settings (as SIGHUP); a bad file is refused, naming the key, and the old one kept");
        reload.SetAction(async (result, ct) =>
        {
            using var client = kit.Client(result);
            // 422 is the refusal, with every error named in the document: shown, then exit 1.
            var (status, document, text) = await client.SendAsync(HttpMethod.Post, "/api/config/reload", null, [422], ct).ConfigureAwait(false);
            await kit.PrintAsync(result, document, text, Views.ConfigReload).ConfigureAwait(false);
            return status == 422 ? PbmApp.Failed : PbmApp.Ok;
        });
        config.Add(reload);
    }
}
