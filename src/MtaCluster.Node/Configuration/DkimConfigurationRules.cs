using MtaCluster.Mime.Dkim;
using MtaCluster.Node.Dkim;

namespace MtaCluster.Node.Configuration;

/// <summary>
/// What the Dkim section must satisfy beyond its types: the binder takes any string as an algorithm,
/// a canonicalisation or a selector, and the node would then sign with what a verifier cannot read.
/// Key files are read when the node starts (DkimSignerFactory).
/// </summary>
internal static class DkimConfigurationRules
{
    public const string SelectorRule = "expected a selector of letters, digits, '-' and '.' (RFC 6376 §3.1), such as s1 or 2026-12";
    public const string DomainRule = "expected a domain name such as example.com";

    /// <summary>A mistake in the key itself: a signing domain or selector that cannot be a DNS name.</summary>
    public static string? KeyProblem(string[] segments, out int at)
    {
        at = 2;
        if (!IsDkim(segments) || segments.Length < 3 || !Is(segments[1], nameof(DkimOptions.Domains))) return null;
        if (!IsDnsName(segments[2]) || !segments[2].Contains('.')) return DomainRule;
        at = 4;
        if (segments.Length > 4 && Is(segments[3], nameof(DkimDomainOptions.AdditionalKeys)) && !IsDnsName(segments[4])) return SelectorRule;
        return null;
    }

    /// <summary>What the value should have been, or null when it is fine (or not one of these settings).</summary>
    public static string? ValueProblem(string[] segments, string value)
    {
        if (!IsDkim(segments)) return null;
        var setting = segments[^1];
        if (segments.Length == 2 && Is(setting, nameof(DkimOptions.DefaultDomain)))
            return value.Length == 0 || IsDnsName(value.TrimEnd('.')) && value.Contains('.') ? null : DomainRule;
        if (segments.Length < 4 || !Is(segments[1], nameof(DkimOptions.Domains))) return null;
        if (Is(setting, nameof(DkimDomainOptions.Algorithm)))
            return DkimAlgorithmNames.TryParse(value, out _) ? null : $"expected {DkimAlgorithmNames.RsaSha256} or {DkimAlgorithmNames.Ed25519Sha256}";
        if (segments.Length == 4 && Is(setting, nameof(DkimDomainOptions.Canonicalization)))
            return DkimCanonicalization.TryParse(value, out _) ? null : "expected relaxed/relaxed, simple/simple, relaxed/simple or simple/relaxed";
        if (segments.Length == 4 && Is(setting, nameof(DkimDomainOptions.Selector)))
            return IsDnsName(value) ? null : SelectorRule;
        if (segments.Length == 5 && Is(segments[3], nameof(DkimDomainOptions.Headers)))
            return value.Length > 0 && value.All(c => c is > ' ' and < '\x7f' and not ':') ? null : "expected a header field name such as Subject";
        return null;
    }

    private static bool IsDnsName(string name) =>
        name.Length is > 0 and <= 253
        && name.Split('.').All(label => label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            && label[0] != '-' && label[^1] != '-');

    private static bool IsDkim(string[] segments) => Is(segments[0], DkimOptions.Section);

    private static bool Is(string segment, string name) => segment.Equals(name, StringComparison.OrdinalIgnoreCase);
}
