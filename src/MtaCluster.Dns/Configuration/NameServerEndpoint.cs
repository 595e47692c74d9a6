using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MtaCluster.Dns.Configuration;

/// <summary>
/// Parses server endpoints written as <c>host</c> or <c>host:port</c>, with IPv6 literals in brackets
/// (<c>[2001:db8::1]:5353</c>) as in RFC 3986 §3.2.2. Only IP literals are accepted: the resolver cannot
/// look up its own servers.
/// </summary>
public static class NameServerEndpoint
{
    public const int DefaultPort = 53;

    public static IPEndPoint Parse(string value)
    {
        if (!TryParse(value, out IPEndPoint? endpoint))
        {
            throw new FormatException($"'{value}' is not a name server endpoint; expected 'address', 'address:port' or '[ipv6]:port'.");
        }

        return endpoint;
    }

    public static IReadOnlyList<IPEndPoint> ParseList(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var endpoints = new List<IPEndPoint>();
        foreach (string value in values)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                endpoints.Add(Parse(value));
            }
        }

        return endpoints;
    }

    public static bool TryParse(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        ReadOnlySpan<char> text = value.AsSpan().Trim();
        ReadOnlySpan<char> host;
        ReadOnlySpan<char> port = default;

        if (text[0] == '[')
        {
            int close = text.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = text[1..close];
            ReadOnlySpan<char> rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':' || rest.Length == 1)
                {
                    return false;
                }

                port = rest[1..];
            }

            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            return TryBuild(v6, port, out endpoint);
        }

        int firstColon = text.IndexOf(':');
        int lastColon = text.LastIndexOf(':');
        if (firstColon >= 0 && firstColon != lastColon)
        {
            // Several colons without brackets: a bare IPv6 address with the default port.
            host = text;
        }
        else if (firstColon >= 0)
        {
            host = text[..firstColon];
            port = text[(firstColon + 1)..];
            if (port.Length == 0)
            {
                return false;
            }
        }
        else
        {
            host = text;
        }

        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            return false;
        }

        return TryBuild(address, port, out endpoint);
    }

    private static bool TryBuild(IPAddress address, ReadOnlySpan<char> port, out IPEndPoint? endpoint)
    {
        endpoint = null;
        int portNumber = DefaultPort;
        if (port.Length > 0
            && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, portNumber);
        return true;
    }
}
