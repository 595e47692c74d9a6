using System.Net;
using System.Net.Sockets;

namespace MtaCluster.Smtp.Server;

/// <summary>The client networks allowed to relay without AUTH.</summary>
public sealed class TrustedNetworks
{
    public static readonly IReadOnlyList<string> Defaults = ["127.0.0.0/8", "::1/128"];

    private readonly IPNetwork[] _networks;

    public TrustedNetworks(IEnumerable<string>? cidrs)
    {
        _networks = (cidrs ?? Defaults).Select(ParseOne).ToArray();
    }

    public bool Contains(IPAddress? address)
    {
        if (address is null) return false;
        // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d.
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in _networks)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address)) return true;
        }
        return false;
    }

    private static IPNetwork ParseOne(string cidr)
    {
        if (cidr.Contains('/')) return IPNetwork.Parse(cidr);
        var address = IPAddress.Parse(cidr);
        return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }
}
