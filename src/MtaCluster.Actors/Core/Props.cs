namespace MtaCluster.Actors;

/// <summary>How to create an actor: its factory (called again for every restart), mailbox and supervision.</summary>
public sealed class Props
{
    private Props(Type actorType, Func<ActorBase> factory, MailboxOptions mailbox, SupervisorStrategy? supervisorStrategy)
    {
        ActorType = actorType;
        Factory = factory;
        Mailbox = mailbox;
        SupervisorStrategy = supervisorStrategy;
    }

    public Type ActorType { get; }

    public MailboxOptions Mailbox { get; }

    /// <summary>Null means the system's default strategy.</summary>
    public SupervisorStrategy? SupervisorStrategy { get; }

    internal Func<ActorBase> Factory { get; }

    public static Props Create<TActor>(Func<TActor> factory)
        where TActor : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(TActor), factory, MailboxOptions.Unbounded, null);
    }

    public Props WithMailbox(MailboxOptions mailbox)
    {
        ArgumentNullException.ThrowIfNull(mailbox);
        return new Props(ActorType, Factory, mailbox, SupervisorStrategy);
    }

    public Props WithBoundedMailbox(int capacity) => WithMailbox(MailboxOptions.Bounded(capacity));

    public Props WithSupervisorStrategy(SupervisorStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new Props(ActorType, Factory, Mailbox, strategy);
    }
}
