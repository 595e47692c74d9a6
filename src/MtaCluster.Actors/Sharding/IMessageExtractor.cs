namespace MtaCluster.Actors.Sharding;

/// <summary>Tells a shard region which entity (and shard) a message is for and what the entity receives.</summary>
public interface IMessageExtractor
{
    /// <summary>The entity id, or null for a message the region cannot route (it goes to dead letters).</summary>
    string? EntityId(object message);

    /// <summary>What the entity receives: the message itself or its unwrapped payload.</summary>
    object EntityMessage(object message);

    string ShardId(object message);

    /// <summary>The shard for an already extracted entity id; the region calls this one.</summary>
    string ShardId(string entityId, object message) => ShardId(message);
}
