using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Tenants;
using MtaCluster.Node.Delivery;
using MtaCluster.Node.Dkim;
using MtaCluster.Node.Hosting;
using MtaCluster.Node.Spooling;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// The one list of top-level sections and the option type each binds to. The host binds only
/// through <see cref="Bind{T}"/>, which refuses a type missing here, and the validator knows a key
/// only through this list: a new section cannot be used without also being validated.
/// </summary>
public static partial class NodeConfigurationSections
{
    public static IReadOnlyDictionary<string, Type> OptionTypes { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [NodeOptions.Section] = typeof(NodeOptions),
        [ShardingOptions.Section] = typeof(ShardingOptions),
        [SpoolOptions.Section] = typeof(SpoolOptions),
        [Clustering.ClusterOptions.Section] = typeof(Clustering.ClusterOptions),
        [DeliveryOptions.Section] = typeof(DeliveryOptions),
        [DnsOptions.Section] = typeof(DnsOptions),
        ["Smtp"] = typeof(SmtpServerOptions),
        [TenantsOptions.Section] = typeof(TenantsOptions),
        [DkimOptions.Section] = typeof(DkimOptions),
        [Admin.AdminOptions.Section] = typeof(Admin.AdminOptions),
    };

    /// <summary>Sections read by the hosting framework itself, whose keys are its own business.</summary>
    public static IReadOnlyList<string> FrameworkSections { get; } = ["Logging"];

    public static string SectionOf<T>() =>
        OptionTypes.FirstOrDefault(s => s.Value == typeof(T)).Key
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not a configuration section; add it to {nameof(NodeConfigurationSections)}.{nameof(OptionTypes)}");

    /// <summary>
    /// Binds <typeparamref name="T"/>'s section. The validator has already refused what it knows to be
    /// wrong; a value the binder still cannot convert becomes the same one-line error, not a stack trace.
    /// </summary>
    /// <exception cref="ConfigurationErrorException">A value cannot be converted to its setting's type.</exception>
    public static T Bind<T>(IConfigurationRoot configuration) where T : class, new()
    {
        var section = SectionOf<T>();
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex) when (BinderPath().Match(ex.Message) is { Success: true } match)
        {
            var key = match.Groups["path"].Value;
            var (source, position) = ConfigurationProvenance.Describe(configuration, key);
            var problem = $"'{ConfigurationProvenance.Shown(key, configuration[key])}' is not valid: {ex.InnerException?.Message ?? ex.Message}";
            throw new ConfigurationErrorException(new ConfigurationError(source, position, key, problem), ex);
        }
    }

    // "Failed to convert configuration value '…' at 'Delivery:Hold' to type 'System.Boolean'."
    [GeneratedRegex(@" at '(?<path>[^']+)'")]
    private static partial Regex BinderPath();
}
