namespace MtaCluster.Smtp.Spool;

/// <summary>
/// Where an SMTP session hands a received message. The session answers 250 only after
/// <see cref="AcceptAsync"/> completes, so completing means the message is durable (group-committed).
/// If it throws, the client gets 451 4.3.0 and the spool must keep nothing.
/// </summary>
public interface IMessageSpool
{
    /// <summary>A new queue id; it appears in the Received header and in "queued as".</summary>
    string NewMessageId();

    ValueTask AcceptAsync(ReceivedMessage message, CancellationToken cancellationToken);
}
