using Microsoft.Extensions.Configuration;

namespace MtaCluster.Node.Configuration;

public static class YamlConfigurationExtensions
{
    public static IConfigurationBuilder AddYamlFile(this IConfigurationBuilder builder, string path, bool optional, bool reloadOnChange = false)
    {
        var fullPath = Path.GetFullPath(path);
        return builder.Add(new YamlConfigurationSource
        {
            FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(fullPath)!),
            Path = Path.GetFileName(fullPath),
            Optional = optional,
            ReloadOnChange = reloadOnChange,
        });
    }
}
