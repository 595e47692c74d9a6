namespace MtaCluster.Testing;

/// <summary>
/// The configuration files a node under test runs with, so each test writes only what it is about:
/// a node.yaml with its data dir and only the relay listener, on a loopback port, and a domains.yaml that
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

            """ + RelayOnlyListeners(port) + sections);
        return path;
    }

    /// <summary>
    /// The <c>Listeners:</c> map (indented for the <c>Smtp:</c> section) of a node that takes mail on one relay
    /// port: the relay default moved to <paramref name="port"/> on loopback and the two submission defaults
    /// turned off, so tests running side by side never contend for 2587 and 2465 on every interface.
    /// </summary>
    public static string RelayOnlyListeners(int port) => $"""
          Listeners:
            relay:
              Address: 127.0.0.1
              Port: {port}
            submission:
              Enabled: false
            submissions:
              Enabled: false

        """;

    /// <summary>Writes a domains.yaml whose default policy sends every domain to 127.0.0.1:<paramref name="port"/> in clear text; <paramref name="policy"/> adds lines to it.</summary>
    public static async Task<string> WriteRouteToAsync(string path, int port, string policy = "")
    {
        await File.WriteAllTextAsync(path, $"default:\n  route: 127.0.0.1:{port}\n  tls: none\n" + policy);
        return path;
    }
}
