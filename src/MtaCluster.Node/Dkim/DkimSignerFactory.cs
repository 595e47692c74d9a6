using Microsoft.Extensions.Configuration;
using MtaCluster.Mime.Dkim;
using MtaCluster.Node.Configuration;

namespace MtaCluster.Node.Dkim;

/// <summary>
/// Builds the node's signer from the Dkim section, reading every key file once at start (a key is
/// parsed once for the node's life). A key that cannot be used stops the start with the one-line
/// error of any configuration mistake, naming the setting: mail must not go out unsigned by surprise.
/// </summary>
public static class DkimSignerFactory
{
    /// <summary>The signer, or null when no domain is configured.</summary>
    /// <exception cref="ConfigurationErrorException">A key is missing, unreadable, too short or not of its Algorithm.</exception>
    public static DkimSigner? Create(DkimOptions options, string dataDir, IConfigurationRoot? configuration = null)
    {
        if (options.Domains.Count == 0)
        {
            if (!string.IsNullOrWhiteSpace(options.DefaultDomain))
                throw Error(configuration, $"{DkimOptions.Section}:DefaultDomain", options.DefaultDomain, "expected a domain listed under Dkim:Domains");
            return null;
        }

        var domains = new List<DkimSigningDomain>();
        foreach (var (name, domain) in options.Domains)
        {
            var at = $"{DkimOptions.Section}:Domains:{name}";
            if (string.IsNullOrWhiteSpace(domain.Selector)) throw Error(configuration, $"{at}:Selector", null, "expected the selector the key is published under (s=)");
            List<DkimSelectorKey> keys = [Load(configuration, dataDir, name, domain.Selector, domain.KeyPath, domain.Algorithm, at)];
            foreach (var (selector, key) in domain.AdditionalKeys)
            {
                if (string.Equals(selector, domain.Selector, StringComparison.OrdinalIgnoreCase))
                    throw Error(configuration, $"{at}:AdditionalKeys:{selector}", null, "expected a selector other than the domain's own Selector");
                keys.Add(Load(configuration, dataDir, name, selector, key.KeyPath, key.Algorithm, $"{at}:AdditionalKeys:{selector}"));
            }
            DkimCanonicalization.TryParse(domain.Canonicalization, out var canonicalization);
            domains.Add(new DkimSigningDomain(name, keys, canonicalization, domain.Headers));
        }

        var fallback = options.DefaultDomain?.Trim().TrimEnd('.');
        if (!string.IsNullOrEmpty(fallback) && !options.Domains.ContainsKey(fallback))
            throw Error(configuration, $"{DkimOptions.Section}:DefaultDomain", options.DefaultDomain, "expected a domain listed under Dkim:Domains");
        return new DkimSigner(domains, fallback, options.ExpireAfter);
    }

    private static DkimSelectorKey Load(IConfigurationRoot? configuration, string dataDir, string domain, string selector, string? keyPath, string algorithmName,
        string at)
    {
        var path = DkimKeyPaths.Resolve(dataDir, domain, selector, keyPath);
        var pathKey = $"{at}:KeyPath";
        if (!File.Exists(path))
        {
            throw Error(configuration, pathKey, keyPath,
                $"no key file at {path} (make one with: MtaCluster.Node dkim-keygen --domain {domain} --selector {selector})");
        }
        DkimSigningKey key;
        try
        {
            key = DkimKeyFile.Load(path);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw Error(configuration, pathKey, keyPath ?? path, ex.Message);
        }
        DkimAlgorithmNames.TryParse(algorithmName, out var algorithm);
        if (key.Algorithm != algorithm)
        {
            var found = DkimAlgorithmNames.Of(key.Algorithm);
            key.Dispose();
            throw Error(configuration, $"{at}:Algorithm", algorithmName, $"expected the algorithm of the key in {path}, which is {found}");
        }
        return new DkimSelectorKey(selector, key);
    }

    private static ConfigurationErrorException Error(IConfigurationRoot? configuration, string key, string? value, string expected)
    {
        var (source, position) = ("configuration", (SourcePosition?)null);
        // A setting left out is pointed at through the nearest setting above it that is written.
        for (var at = key; configuration is not null; at = at[..at.LastIndexOf(':')])
        {
            var written = configuration.GetSection(at).AsEnumerable().FirstOrDefault(kv => kv.Value is not null).Key;
            if (written is not null)
            {
                (source, position) = ConfigurationProvenance.Describe(configuration, written);
                break;
            }
            if (!at.Contains(':')) break;
        }
        var problem = value is null ? expected : $"'{value}' is not valid: {expected}";
        return new ConfigurationErrorException(new ConfigurationError(source, position, key, problem));
    }
}
