using MtaCluster.Delivery.Scheduling;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Tenants;

/// <summary>
/// Who a submission belongs to: an AUTH user maps to the tenant that lists it; mail without AUTH
/// (trusted networks) and users no tenant lists belong to <c>default</c>, which weighs 1 and sends
/// bulk unless node.yaml configures it. Built once per configuration; lookups do not allocate.
/// </summary>
public sealed class TenantDirectory
{
    private readonly Dictionary<string, Tenant> _byUser;
    private readonly Dictionary<string, Tenant> _byName;

    /// <exception cref="ArgumentException">
    /// A name, weight or lane the start-up validation refuses, or a user listed under two tenants.
    /// </exception>
    public TenantDirectory(IReadOnlyDictionary<string, TenantOptions>? options)
    {
        // AUTH user names are configuration keys (Smtp:Auth:Users), so case-insensitive like them.
        _byUser = new Dictionary<string, Tenant>(StringComparer.OrdinalIgnoreCase);
        _byName = new Dictionary<string, Tenant>(StringComparer.Ordinal);
        foreach (var (rawName, tenantOptions) in options ?? new Dictionary<string, TenantOptions>())
        {
            var name = TenantName.Normalize(rawName);
            if (!TenantName.IsValid(name)) throw new ArgumentException($"Tenants:{rawName}: {TenantName.Rule}", nameof(options));
            var settings = tenantOptions ?? new TenantOptions();
            if (settings.Weight < 1) throw new ArgumentException($"Tenants:{rawName}:Weight must be at least 1", nameof(options));
            if (!Enum.IsDefined(settings.DefaultLane)) throw new ArgumentException($"Tenants:{rawName}:DefaultLane must be bulk or transactional", nameof(options));
            if (settings.MaxMessagesPerHour < 0) throw new ArgumentException($"Tenants:{rawName}:MaxMessagesPerHour must be 0 (no limit) or more", nameof(options));
            var tenant = new Tenant(name, settings.Weight, settings.DefaultLane, settings.MaxMessagesPerHour is > 0 ? settings.MaxMessagesPerHour : null);
            if (!_byName.TryAdd(name, tenant)) throw new ArgumentException($"Tenants:{rawName} is listed twice (names are case-insensitive)", nameof(options));
            foreach (var user in settings.Users)
            {
                if (!_byUser.TryAdd(user, tenant))
                {
                    throw new ArgumentException($"Tenants:{rawName}:Users: '{user}' already submits as tenant {_byUser[user].Name}", nameof(options));
                }
            }
        }
        Default = _byName.GetValueOrDefault(TenantName.Default) ?? Tenant.BuiltInDefault;
        _byName[TenantName.Default] = Default;
    }

    public Tenant Default { get; }

    /// <summary>Every tenant, <c>default</c> included.</summary>
    public IReadOnlyCollection<Tenant> All => _byName.Values;

    /// <summary>Every AUTH user a tenant lists, with that tenant's name.</summary>
    public IEnumerable<KeyValuePair<string, string>> Users => _byUser.Select(u => KeyValuePair.Create(u.Key, u.Value.Name));

    /// <summary>The tenant a message submitted by <paramref name="authenticatedUser"/> (null: no AUTH) belongs to.</summary>
    public Tenant ForSubmission(string? authenticatedUser) =>
        authenticatedUser is not null && _byUser.TryGetValue(authenticatedUser, out var tenant) ? tenant : Default;

    /// <summary>The tenant of a name as the spool stores it; null for a tenant the configuration no longer has.</summary>
    public Tenant? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// The lane a message travels in: the one its X-MtaCluster-Lane header asks for when the client is
    /// authenticated or trusted (<paramref name="clientMayChoose"/>), else its tenant's default. An
    /// unknown value is the default as well; the caller logs the warning, the client never sees it.
    /// </summary>
    public static DeliveryLane LaneFor(Tenant tenant, RequestedLane requested, bool clientMayChoose) =>
        (clientMayChoose, requested) switch
        {
            (true, RequestedLane.Transactional) => DeliveryLane.Transactional,
            (true, RequestedLane.Bulk) => DeliveryLane.Bulk,
            _ => tenant.DefaultLane,
        };
}
