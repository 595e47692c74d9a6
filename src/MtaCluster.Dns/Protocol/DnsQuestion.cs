namespace MtaCluster.Dns.Protocol;

/// <summary>A question section entry (RFC 1035 §4.1.2). Names are kept fully qualified, with the trailing dot.</summary>
public sealed class DnsQuestion : IEquatable<DnsQuestion>
{
    public DnsQuestion(string name, QueryType type, QueryClass queryClass = QueryClass.IN)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = DnsName.ToFullyQualified(name);
        Type = type;
        Class = queryClass;
    }

    public string Name { get; }

    public QueryType Type { get; }

    public QueryClass Class { get; }

    /// <summary>Names compare case-insensitively (RFC 4343), so a response echoing 0x20-mixed case still matches.</summary>
    public bool Equals(DnsQuestion? other) =>
        other is not null && Type == other.Type && Class == other.Class
        && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => obj is DnsQuestion q && Equals(q);

    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Name), Type, Class);

    public override string ToString() => $"{Name} {Class} {Type}";
}
