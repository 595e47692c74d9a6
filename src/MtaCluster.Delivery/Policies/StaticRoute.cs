using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace MtaCluster.Delivery.Policies;

/// <summary>
/// A fixed next hop that replaces MX lookup for a domain, like a Postfix transport map entry
/// <c>smtp:[host]:port</c>: mail goes to <see cref="Host"/> on <see cref="Port"/> whatever the domain's MX says.
/// </summary>
public sealed record StaticRoute(string Host, int Port)
{
    public const int DefaultPort = 25;

    public override string ToString() =>
        Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>Parses <c>host</c>, <c>host:port</c>, <c>[ipv6]</c> or <c>[ipv6]:port</c>; the port defaults to 25.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out StaticRoute? route, [NotNullWhen(false)] out string? error)
    {
        route = null;
        error = null;
        var text = value?.Trim() ?? string.Empty;
        if (text.Length == 0)
        {
            error = "is empty";
            return false;
        }

        string host;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0)
            {
                error = $"'{text}' has no closing ']'";
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    error = $"'{text}' must be [address]:port";
                    return false;
                }

                portText = rest[1..];
            }

            if (!IPAddress.TryParse(host, out _))
            {
                error = $"'{host}' in brackets is not an IP address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon >= 0 && text.IndexOf(':') != colon)
            {
                error = $"'{text}': write an IPv6 address as [address]:port";
                return false;
            }

            host = colon >= 0 ? text[..colon] : text;
            portText = colon >= 0 ? text[(colon + 1)..] : null;
            if (!IsHostName(host) && !IPAddress.TryParse(host, out _))
            {
                error = $"'{host}' is not a host name or IP address";
                return false;
            }
        }

        var port = DefaultPort;
        if (portText is not null &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"port '{portText}' must be a number from 1 to 65535";
            return false;
        }

        route = new StaticRoute(host.ToLowerInvariant(), port);
        return true;
    }

    private static bool IsHostName(string host) =>
        host.Length is > 0 and <= 253 &&
        host.TrimEnd('.').Split('.').All(label =>
            label.Length is > 0 and <= 63 &&
            label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') &&
            label[0] != '-' && label[^1] != '-');
}
