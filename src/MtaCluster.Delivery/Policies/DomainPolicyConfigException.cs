namespace MtaCluster.Delivery.Policies;

/// <summary>A domain policy file that cannot be used; <see cref="Errors"/> names every offending key.</summary>
public sealed class DomainPolicyConfigException : Exception
{
    public DomainPolicyConfigException(string source, IReadOnlyList<string> errors, Exception? inner = null)
        : base(Format(source, errors), inner)
    {
        Source = source;
        Errors = errors;
    }

    public new string Source { get; }

    public IReadOnlyList<string> Errors { get; }

    private static string Format(string source, IReadOnlyList<string> errors) =>
        errors.Count == 1
            ? $"{source}: {errors[0]}"
            : $"{source}: {errors.Count} errors:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors);
}
