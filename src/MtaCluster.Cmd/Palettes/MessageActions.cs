using System.CommandLine;

namespace MtaCluster.Cmd.Palettes;

/// <summary><c>mta message bounce|delete|retry &lt;id&gt;</c>: an operator's actions on one message, answered by any node.</summary>
public static class MessageActions
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var message = PbmCommandKit.Child(MtaPalette.Of(root), "message", "One message");
        message.Add(Action(kit, "bounce", "Fail every pending recipient now; the sender gets one failure DSN", HttpMethod.Post, "/bounce", Views.MessageBounced));
        message.Add(Action(kit, "delete", "Remove the message from the spool, without a DSN (postsuper -d)", HttpMethod.Delete, "", Views.MessageDeleted));
        message.Add(Action(kit, "retry", "Make every pending recipient due now and wake its domain", HttpMethod.Post, "/retry", Views.MessageRetried));
    }

    private static Command Action(PbmCommandKit kit, string name, string description, HttpMethod method, string suffix,
        Action<Spectre.Console.IAnsiConsole, System.Text.Json.JsonElement> view)
    {
        var id = new Argument<string>("id") { Description = "The queue id (as in '250 Ok: queued as ...')" };
        var command = kit.Act(name, description, method, r => $"/api/messages/{Uri.EscapeDataString(r.GetValue(id)!)}{suffix}", _ => null, view);
        command.Add(id);
        return command;
    }
}
