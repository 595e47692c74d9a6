using System.Net;

namespace MtaCluster.Dns.Configuration;

/// <summary>Reads the <c>nameserver</c> lines of resolv.conf(5); other directives are not needed here.</summary>
public static class ResolvConf
{
    public const string DefaultPath = "/etc/resolv.conf";

    public static IReadOnlyList<IPEndPoint> ReadNameServers(string path = DefaultPath)
    {
        if (!File.Exists(path))
        {
            return Array.Empty<IPEndPoint>();
        }

        try
        {
            return ParseNameServers(File.ReadAllText(path));
        }
        catch (IOException)
        {
            return Array.Empty<IPEndPoint>();
        }
        catch (UnauthorizedAccessException)
        {
            return Array.Empty<IPEndPoint>();
        }
    }

    public static IReadOnlyList<IPEndPoint> ParseNameServers(string content)
    {
        var servers = new List<IPEndPoint>();
        foreach (string rawLine in content.Split('\n'))
        {
            ReadOnlySpan<char> line = rawLine.AsSpan().Trim();
            if (line.IsEmpty || line[0] == '#' || line[0] == ';')
            {
                continue;
            }

            const string keyword = "nameserver";
            if (!line.StartsWith(keyword, StringComparison.Ordinal) || line.Length == keyword.Length || !char.IsWhiteSpace(line[keyword.Length]))
            {
                continue;
            }

            ReadOnlySpan<char> value = line[keyword.Length..].Trim();
            int end = value.IndexOfAny(' ', '\t', '#');
            if (end >= 0)
            {
                value = value[..end];
            }

            // glibc allows a zone suffix on link-local IPv6 servers ("fe80::1%eth0"); IPAddress parses it.
            if (IPAddress.TryParse(value, out IPAddress? address))
            {
                servers.Add(new IPEndPoint(address, NameServerEndpoint.DefaultPort));
            }
        }

        return servers;
    }
}
