using System.Globalization;

namespace MtaCluster.Actors.Sharding;

/// <summary>
/// An extractor whose shard id is <see cref="ShardHash.ShardOf"/>(entityId, maxNumberOfShards), so
/// every node (and the spool) agrees on the shard of an entity.
/// </summary>
public abstract class HashCodeMessageExtractor : IMessageExtractor
{
    private readonly string?[] _shardIds;

    protected HashCodeMessageExtractor(int maxNumberOfShards)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNumberOfShards);
        MaxNumberOfShards = maxNumberOfShards;
        _shardIds = new string?[maxNumberOfShards];
    }

    public int MaxNumberOfShards { get; }

    /// <summary>An extractor from delegates, for when a class of its own would only hold two lambdas.</summary>
    public static HashCodeMessageExtractor Create(int maxNumberOfShards, Func<object, string?> entityId, Func<object, object>? entityMessage = null)
    {
        ArgumentNullException.ThrowIfNull(entityId);
        return new DelegateExtractor(maxNumberOfShards, entityId, entityMessage);
    }

    public abstract string? EntityId(object message);

    public virtual object EntityMessage(object message) => message;

    public string ShardId(object message) =>
        EntityId(message) is { } entityId
            ? ShardId(entityId, message)
            : throw new ArgumentException($"{message.GetType().Name} carries no entity id.", nameof(message));

    public virtual string ShardId(string entityId, object message)
    {
        var shard = ShardHash.ShardOf(entityId, MaxNumberOfShards);

        // Cached so routing a message allocates no shard-id string; a race only builds an equal string twice.
        return _shardIds[shard] ??= shard.ToString(CultureInfo.InvariantCulture);
    }

    private sealed class DelegateExtractor(int maxNumberOfShards, Func<object, string?> entityId, Func<object, object>? entityMessage)
        : HashCodeMessageExtractor(maxNumberOfShards)
    {
        public override string? EntityId(object message) => entityId(message);

        public override object EntityMessage(object message) => entityMessage is null ? message : entityMessage(message);
    }
}
