using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MtaCluster.Actors.Sharding;
using MtaCluster.Delivery.Policies;

namespace MtaCluster.Delivery.Domains;

/// <summary>
/// Where a destination domain lives: the shard of its entity and of its queued recipient rows. A domain
/// listed by name under an MX pattern's <c>domains:</c> is placed by the group's key (<c>mx:</c>name), so
/// every member of the group is owned by one node and that node's one <see cref="ThrottleGroup"/> holds
/// the group's limits for the whole cluster. Every other domain is placed by its own name. The entity id
/// stays the domain; only its shard changes.
/// </summary>
/// <remarks>
/// Taken once at start and kept across reloads: the spool's rows carry the shard they were filed under,
/// and every node must place alike. <see cref="Fingerprint"/> names the list, so nodes (and the spool)
/// can tell whether they agree.
/// </remarks>
public sealed class DomainPlacement
{
    /// <summary>The fingerprint of a placement that lists no domain: everything placed by its own name, as before lists existed.</summary>
    public const string ByNameFingerprint = "by-name";

    private readonly Dictionary<string, string> _keys;

    private DomainPlacement(int maxShards, Dictionary<string, string> keys)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShards);
        MaxShards = maxShards;
        _keys = keys;
        Fingerprint = FingerprintOf(keys);
    }

    public int MaxShards { get; }

    /// <summary>The listed domains (normalised) and the group key each is placed by.</summary>
    public IReadOnlyDictionary<string, string> Listed => _keys;

    /// <summary>
    /// Identifies the list: <see cref="ByNameFingerprint"/> when empty, else a SHA-256 of the sorted
    /// domain/key pairs. Equal lists give equal fingerprints on every node.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>Every domain by its own name.</summary>
    public static DomainPlacement ByName(int maxShards) => new(maxShards, new Dictionary<string, string>(StringComparer.Ordinal));

    /// <summary>The placement <paramref name="configuration"/>'s MX-pattern lists give.</summary>
    public static DomainPlacement From(DomainPolicyConfiguration configuration, int maxShards)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (domain, group) in configuration.Listed) keys[domain] = group.ThrottleKey;
        return new DomainPlacement(maxShards, keys);
    }

    /// <summary>What the domain's shard is the hash of: its group key when listed, else the domain as given.</summary>
    public string KeyOf(string domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (_keys.Count == 0) return domain;
        // Spool domains are lower case already; the normalising lookup only runs for a name that is not.
        if (_keys.TryGetValue(domain, out var key)) return key;
        var normalized = DomainPolicyResolver.NormalizeDomain(domain);
        return normalized != domain && _keys.TryGetValue(normalized, out key) ? key : domain;
    }

    /// <summary>The shard of <paramref name="domain"/>'s entity and recipient rows.</summary>
    public int ShardOf(string domain) => ShardHash.ShardOf(KeyOf(domain), MaxShards);

    /// <summary>Whether <paramref name="domain"/> is placed by a group key rather than its own name.</summary>
    public bool IsListed(string domain) => _keys.Count > 0 && KeyOf(domain) != domain;

    private static string FingerprintOf(Dictionary<string, string> keys)
    {
        if (keys.Count == 0) return ByNameFingerprint;
        var text = new StringBuilder();
        foreach (var (domain, key) in keys.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(domain).Append('=').Append(key).Append('\n');
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return string.Create(CultureInfo.InvariantCulture, $"sha256:{Convert.ToHexStringLower(hash)}");
    }
}
