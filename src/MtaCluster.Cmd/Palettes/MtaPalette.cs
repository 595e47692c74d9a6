using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta</c>: the parent of the mail's palettes (queue, message, domain, ...).</summary>
public static class MtaPalette
{
    public static Command Of(RootCommand root) => PbmCommandKit.Child(root, "mta", "The mail: queues, domains, messages");
}
