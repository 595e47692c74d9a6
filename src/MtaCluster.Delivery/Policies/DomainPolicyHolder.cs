namespace MtaCluster.Delivery.Policies;

/// <summary>
/// The domain policy in force, swapped whole on a reload (SIGHUP). Readers take <see cref="Current"/>
/// once per decision and use that snapshot throughout: one volatile read, no lock on the delivery
/// path, and never half of an old file mixed with half of a new one.
/// </summary>
public sealed class DomainPolicyHolder
{
    private volatile DomainPolicySnapshot _current;
    private readonly object _swapGate = new();

    public DomainPolicyHolder(DomainPolicyConfiguration configuration)
        : this(DomainPolicySnapshot.From(configuration))
    {
    }

    public DomainPolicyHolder(DomainPolicySnapshot initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
    }

    public DomainPolicySnapshot Current => _current;

    /// <summary>Puts <paramref name="configuration"/> in force under the next generation; returns the snapshot replaced.</summary>
    public DomainPolicySnapshot Replace(DomainPolicyConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Only writers serialise (two SIGHUPs in a row): generations must not repeat.
        lock (_swapGate)
        {
            var previous = _current;
            _current = DomainPolicySnapshot.From(configuration, previous.Generation + 1);
            return previous;
        }
    }
}
