using MtaCluster.Dns.Protocol;

namespace MtaCluster.Dns.Caching;

/// <summary>Cache and single-flight key; names compare case-insensitively (RFC 4343).</summary>
internal readonly struct DnsCacheKey : IEquatable<DnsCacheKey>
{
    public DnsCacheKey(DnsQuestion question)
    {
        Name = question.Name;
        Type = question.Type;
        Class = question.Class;
    }

    public string Name { get; }

    public QueryType Type { get; }

    public QueryClass Class { get; }

    public bool Equals(DnsCacheKey other) =>
        Type == other.Type && Class == other.Class && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => obj is DnsCacheKey other && Equals(other);

    public override int GetHashCode() =>
        HashCode.Combine(string.GetHashCode(Name, StringComparison.OrdinalIgnoreCase), Type, Class);

    public override string ToString() => $"{Name} {Class} {Type}";
}
