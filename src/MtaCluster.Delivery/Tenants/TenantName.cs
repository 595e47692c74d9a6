namespace MtaCluster.Delivery.Tenants;

/// <summary>
/// The spelling rules of a tenant name, shared by node.yaml's Tenants and domains.yaml's per-domain
/// tenant limits. A name goes into the spool, the accounting log and metrics labels, so it is kept to
/// letters, digits, '-', '_' and '.', at most <see cref="MaxLength"/> characters, in lower case.
/// </summary>
public static class TenantName
{
    /// <summary>The tenant of mail from trusted networks without AUTH, and of AUTH users no tenant lists.</summary>
    public const string Default = "default";

    public const int MaxLength = 64;

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength }
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static string Normalize(string name) => name.Trim().ToLowerInvariant();

    public const string Rule = "a tenant name is 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit";
}
