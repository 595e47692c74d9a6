namespace MtaCluster.Testing;

/// <summary>
/// The configuration files a node under test runs with, so each test writes only what it is about:
/// a node.yaml with its data dir and one relay listener on a loopback port, and a domains.yaml that
/// routes every domain to a local receiver.
/// </summary>
public static class NodeConfig
{
    /// <summary>
    /// Writes a node.yaml at <paramref name="path"/>; <paramref name="sections"/> is more top-level YAML
    /// (e.g. a <c>Delivery:</c> section), written as it would stand in node.yaml.
    /// </summary>
    public static async Task<string> WriteRelayNodeAsync(string path, string dataDir, int port, string sections = "")
    {
        await File.WriteAllTextAsync(path, $"""
            Node:
              DataDir: {dataDir}
            Smtp:
              Listeners:
                - Name: relay
                  Address: 127.0.0.1
                  Port: {port}
                  Kind: Relay

            """ + sections);
        return path;
    }

    /// <summary>Writes a domains.yaml whose default policy sends every domain to 127.0.0.1:<paramref name="port"/> in clear text; <paramref name="policy"/> adds lines to it.</summary>
    public static async Task<string> WriteRouteToAsync(string path, int port, string policy = "")
    {
        await File.WriteAllTextAsync(path, $"default:\n  route: 127.0.0.1:{port}\n  tls: none\n" + policy);
        return path;
    }
}
