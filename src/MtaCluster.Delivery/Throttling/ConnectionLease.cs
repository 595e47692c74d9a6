namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// One outbound connection's slots: in its throttle group and in the node's budget. The connection's
/// worker returns them itself when it ends, to the very throttle they came from, so a slot can never
/// be lost with the entity that took it (a restart, or a policy that changed meanwhile).
/// </summary>
public sealed class ConnectionLease(DomainThrottle throttle, ConnectionBudget budget)
{
    private int _released;

    public DomainThrottle Throttle { get; } = throttle;

    public ConnectionBudget Budget { get; } = budget;

    /// <summary>Returns both slots; any call after the first does nothing.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        Throttle.ReleaseConnection();
        Budget.Release();
    }
}
