using System.Net;

namespace MtaCluster.Node.Admin;

/// <summary>Reads <see cref="AdminOptions.Listen"/>: "address:port", "[v6]:port", or "0" for loopback on a free port.</summary>
public static class AdminListenAddress
{
    public const string Expected = "address:port (e.g. 127.0.0.1:9110, [::1]:9110, or 0 for a free port on 127.0.0.1)";

    public static bool TryParse(string? value, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        if (string.IsNullOrWhiteSpace(value)) return false;
        value = value.Trim();
        if (value == "0") return true;
        // IPEndPoint.TryParse takes a bare address as port 0; a port is required here.
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || (value.Contains(']') && colon < value.IndexOf(']'))) return false;
        if (!IPEndPoint.TryParse(value, out var parsed) || parsed is null) return false;
        endpoint = parsed;
        return true;
    }
}
