namespace MtaCluster.Delivery.Domains;

/// <summary>
/// The <see cref="DomainWakeScheduler"/>'s counts, published for entities and metrics without a
/// message round trip. An entity with nothing left to send reads <see cref="Waiting"/> to decide
/// whether to keep its idle connections for reuse or give them up so that a waiting domain gets
/// its turn now rather than after the connection idle timeout.
/// </summary>
public sealed class ActiveDomainSlots
{
    private int _active;
    private int _waiting;

    /// <summary>Domains holding a slot.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Domains due (or with new work) waiting for a slot.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    internal void Publish(int active, int waiting)
    {
        Volatile.Write(ref _active, active);
        Volatile.Write(ref _waiting, waiting);
    }
}
