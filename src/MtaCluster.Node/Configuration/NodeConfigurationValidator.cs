using Microsoft.Extensions.Configuration;
using MtaCluster.Smtp.Auth;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// Checks every key of every layer against the option types before the host is built: a key no
/// option binds (a typo the binder would silently ignore), a value its setting's type cannot take
/// (which the binder would throw on, mid-start), and an AUTH user whose hash no password can match.
/// Each key is judged where its effective value comes from, the highest layer that sets it.
/// </summary>
public static class NodeConfigurationValidator
{
    private static readonly string[] AuthUsers = ["Smtp", "Auth", "Users"];

    /// <summary>Every mistake, lowest layer first and in file order within a layer; empty when the configuration can be used.</summary>
    public static IReadOnlyList<ConfigurationError> Validate(IConfigurationRoot configuration)
    {
        var errors = new List<(int Layer, ConfigurationError Error)>();
        var winners = ConfigurationProvenance.Winners(configuration);
        foreach (var setting in winners)
        {
            if (Check(setting) is { } error) errors.Add((setting.Layer, error));
        }
        foreach (var (setting, problem) in ClusterConfigurationRules.Problems(winners))
        {
            errors.Add((setting.Layer, ValueError(setting, problem)));
        }
        foreach (var (setting, firstTenant) in TenantConfigurationRules.UsersListedTwice(winners))
        {
            errors.Add((setting.Layer, ValueError(setting, $"expected a user of no other tenant; it already submits as tenant {firstTenant}")));
        }
        return errors
            .OrderBy(e => e.Layer)
            .ThenBy(e => e.Error.Position?.Line ?? 0)
            .ThenBy(e => e.Error.Position?.Column ?? 0)
            .Select(e => e.Error)
            // Every key under one unknown section is the same mistake.
            .Distinct()
            .ToList();
    }

    /// <summary>The line the node prints: the first mistake, and how many more there are.</summary>
    public static string Summary(IReadOnlyList<ConfigurationError> errors) => $"error: {FirstOf(errors)}";

    /// <summary>The first mistake, and how many more there are.</summary>
    public static string FirstOf(IReadOnlyList<ConfigurationError> errors) =>
        errors.Count == 1 ? errors[0].ToString() : $"{errors[0]} (1 of {errors.Count} configuration errors)";

    private static ConfigurationError? Check(ConfiguredValue setting)
    {
        var segments = setting.Key.Split(ConfigurationPath.KeyDelimiter);
        if (NodeConfigurationSections.FrameworkSections.Contains(segments[0], StringComparer.OrdinalIgnoreCase)) return null;

        if (!NodeConfigurationSections.OptionTypes.TryGetValue(segments[0], out var sectionType))
        {
            var suggestion = KeySuggestion.Nearest(segments[0], NodeConfigurationSections.OptionTypes.Keys.Concat(NodeConfigurationSections.FrameworkSections));
            return KeyError(setting, segments, 0, suggestion is null
                ? $"unknown section (known: {string.Join(", ", NodeConfigurationSections.OptionTypes.Keys.Concat(NodeConfigurationSections.FrameworkSections))})"
                : $"unknown section (did you mean {suggestion}?)");
        }

        if (IsNumberedListener(segments))
        {
            return KeyError(setting, segments, 2,
                "listeners are keyed by name (relay, submission, submissions, or a new name), not by position: a number here would add a listener, not change one");
        }

        var key = OptionSchema.Resolve(sectionType, segments, 1);
        if (!key.IsKnown) return KeyError(setting, segments, key.UnknownAt, key.Problem!);
        if (TenantConfigurationRules.KeyProblem(segments) is { } badName) return KeyError(setting, segments, 1, badName);
        if (DkimConfigurationRules.KeyProblem(segments, out var badAt) is { } badDkimName) return KeyError(setting, segments, badAt, badDkimName);

        // Null ("~", or an empty key) is "not set": the default, or what a lower layer says.
        if (setting.Value is null) return null;
        var type = key.Type!;
        if (!OptionSchema.IsScalar(type))
        {
            return setting.Value.Length == 0 ? null : ValueError(setting, $"expected {OptionSchema.SectionShape(type)}, not a single value");
        }
        if (TenantConfigurationRules.ValueProblem(segments, setting.Value) is { } problem) return ValueError(setting, problem);
        if (DkimConfigurationRules.ValueProblem(segments, setting.Value) is { } dkimProblem) return ValueError(setting, dkimProblem);
        if (AdminConfigurationRules.ValueProblem(segments, setting.Value) is { } adminProblem) return ValueError(setting, adminProblem);
        if (!ValueExpectation.Converts(type, setting.Value)) return ValueError(setting, $"expected {ValueExpectation.Describe(type)}");
        if (IsAuthUser(segments) && !PasswordHasher.IsWellFormed(setting.Value))
        {
            return ValueError(setting, $"expected a password hash ({PasswordHasher.Scheme}$…) as printed by the node's hash-password command");
        }
        return null;
    }

    // Listeners were a list once (MTA_Smtp__Listeners__0__Port); the map would take "0" as a new listener's name.
    private static bool IsNumberedListener(string[] segments) =>
        segments.Length > 2
        && segments[0].Equals("Smtp", StringComparison.OrdinalIgnoreCase)
        && segments[1].Equals("Listeners", StringComparison.OrdinalIgnoreCase)
        && segments[2].Length > 0 && segments[2].All(char.IsAsciiDigit);

    private static bool IsAuthUser(string[] segments) =>
        segments.Length == AuthUsers.Length + 1
        && segments.Take(AuthUsers.Length).SequenceEqual(AuthUsers, StringComparer.OrdinalIgnoreCase);

    private static ConfigurationError KeyError(ConfiguredValue setting, string[] segments, int unknownAt, string problem)
    {
        // Point at the first unknown key ("Userz"), not at whatever sits below it.
        var unknownKey = string.Join(ConfigurationPath.KeyDelimiter, segments.Take(unknownAt + 1));
        // A variable is named whole (MTA_Smtp__Auth__Userz__app1); a file by the place of the unknown key.
        var (source, position) = ConfigurationProvenance.Describe(setting.Provider, setting.Key, ofValue: false);
        if (setting.Provider is YamlConfigurationProvider yaml) position = yaml.PositionOf(unknownKey, ofValue: false);
        return new ConfigurationError(source, position, unknownKey, problem);
    }

    private static ConfigurationError ValueError(ConfiguredValue setting, string expected)
    {
        var (source, position) = ConfigurationProvenance.Describe(setting.Provider, setting.Key, ofValue: true);
        return new ConfigurationError(source, position, setting.Key, $"'{ConfigurationProvenance.Shown(setting.Key, setting.Value)}' is not valid: {expected}");
    }
}
