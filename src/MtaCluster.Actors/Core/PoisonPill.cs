namespace MtaCluster.Actors;

/// <summary>Stops the actor when it reaches the front of the mailbox, after the messages sent before it.</summary>
public sealed class PoisonPill : IAutoReceivedMessage
{
    public static PoisonPill Instance { get; } = new();

    private PoisonPill()
    {
    }

    public override string ToString() => nameof(PoisonPill);
}
