namespace MtaCluster.Delivery.Tenants;

/// <summary>
/// The tenant directory in force, replaced whole by a reload (SIGHUP): the accept path and every
/// domain entity read <see cref="Current"/> at each decision, and a domain entity sees a new one by a
/// reference comparison, as it sees a reloaded domains.yaml.
/// </summary>
public sealed class TenantDirectoryHolder(TenantDirectory initial)
{
    private volatile TenantDirectory _current = initial ?? throw new ArgumentNullException(nameof(initial));

    public TenantDirectory Current => _current;

    public void Replace(TenantDirectory directory) => _current = directory ?? throw new ArgumentNullException(nameof(directory));
}
