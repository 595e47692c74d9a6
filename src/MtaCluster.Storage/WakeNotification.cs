namespace MtaCluster.Storage;

/// <summary>
/// A wake-up for an entity, carried between nodes by the store (PostgreSQL <c>NOTIFY</c> on
/// <see cref="Channel"/>) after the commit that made the work visible: the shard's owner, whichever
/// node it is, looks in the store for what is due. Losing one costs latency only (owners also scan
/// their shards periodically); nothing rests on it. Payload: <c>type:shard:entityId</c>, where type
/// is <see cref="DomainType"/> or <see cref="MessageType"/>.
/// </summary>
public readonly record struct WakeNotification(string EntityType, int Shard, string EntityId)
{
    public const string Channel = "mta_wake";
    public const string DomainType = "domain";
    public const string MessageType = "message";

    public string ToPayload() => $"{EntityType}:{Shard}:{EntityId}";

    public static bool TryParse(string payload, out WakeNotification notification)
    {
        notification = default;
        string[] parts = payload.Split(':', 3);
        if (parts.Length != 3 || parts[0].Length == 0 || parts[2].Length == 0
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int shard))
        {
            return false;
        }

        notification = new WakeNotification(parts[0], shard, parts[2]);
        return true;
    }
}
