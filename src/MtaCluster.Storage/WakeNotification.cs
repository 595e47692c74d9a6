namespace MtaCluster.Storage;

/// <summary>
/// A wake-up for an entity, carried between nodes by the store (PostgreSQL <c>NOTIFY</c> on
/// <see cref="Channel"/>) after the commit that made the work visible: the shard's owner, whichever
/// node it is, looks in the store for what is due. Losing one costs latency only (owners also scan
/// their shards periodically); nothing rests on it. Payload: <c>type:shard:entityId</c>, where type
/// is <see cref="DomainType"/> or <see cref="MessageType"/>, or for an operator's change to a domain
/// (suspended or resumed, flushed, purged) one of <see cref="DomainControlTypes"/>, which tells the
/// owner to read the domain's control state again. A node that does not know a type ignores it.
/// </summary>
public readonly record struct WakeNotification(string EntityType, int Shard, string EntityId)
{
    public const string Channel = "mta_wake";
    public const string DomainType = "domain";
    public const string MessageType = "message";

    /// <summary>The operator's changes to a domain, by their order in <c>DomainControlChange</c>: suspension, flush, purge.</summary>
    public static readonly IReadOnlyList<string> DomainControlTypes = ["domain-suspension", "domain-flush", "domain-purge"];

    /// <summary>The index of <paramref name="type"/> in <see cref="DomainControlTypes"/>, or -1 when it is none of them.</summary>
    public static int DomainControlIndex(string type)
    {
        for (var i = 0; i < DomainControlTypes.Count; i++)
        {
            if (DomainControlTypes[i] == type) return i;
        }
        return -1;
    }

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
