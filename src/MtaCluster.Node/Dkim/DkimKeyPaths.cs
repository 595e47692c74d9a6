namespace MtaCluster.Node.Dkim;

/// <summary>Where a key lives when its path is not configured, or is relative: under the data dir, where dkim-keygen writes it.</summary>
public static class DkimKeyPaths
{
    public static string Default(string dataDir, string domain, string selector) =>
        Path.Combine(dataDir, "dkim", $"{selector}.{domain.ToLowerInvariant()}.pem");

    public static string Resolve(string dataDir, string domain, string selector, string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? Default(dataDir, domain, selector) : Path.GetFullPath(configured, dataDir);
}
