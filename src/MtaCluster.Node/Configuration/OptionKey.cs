namespace MtaCluster.Node.Configuration;

/// <summary>
/// What a key path names in the option types: a setting or section of <see cref="Type"/> (as declared,
/// so a nullable one may be left empty), or nothing from segment <see cref="UnknownAt"/> on.
/// </summary>
public sealed record OptionKey(Type? Type, int UnknownAt, string? Problem)
{
    public bool IsKnown => Type is not null;

    public static OptionKey Known(Type type) => new(type, -1, null);

    public static OptionKey Unknown(int segment, string problem) => new(null, segment, problem);
}
