using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta message</c>: one message.</summary>
public static class MessagePalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var message = PbmCommandKit.Child(MtaPalette.Of(root), "message", "One message");
        var id = new Argument<string>("id") { Description = "The queue id (as in '250 Ok: queued as ...')" };
        var show = kit.Leaf("show", "Envelope, recipients, states, attempts, last replies, DSN", r => $"/api/messages/{Uri.EscapeDataString(r.GetValue(id)!)}", Views.MessageShow);
        show.Add(id);
        message.Add(show);
    }
}
