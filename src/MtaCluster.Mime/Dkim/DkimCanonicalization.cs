namespace MtaCluster.Mime.Dkim;

/// <summary>The c= tag (RFC 6376 §3.4): how headers and body are canonicalised, as "header/body".</summary>
public readonly record struct DkimCanonicalization(DkimCanonicalizationAlgorithm Header, DkimCanonicalizationAlgorithm Body)
{
    public static DkimCanonicalization RelaxedRelaxed { get; } = new(DkimCanonicalizationAlgorithm.Relaxed, DkimCanonicalizationAlgorithm.Relaxed);

    public static DkimCanonicalization SimpleSimple { get; } = new(DkimCanonicalizationAlgorithm.Simple, DkimCanonicalizationAlgorithm.Simple);

    /// <summary>"relaxed/relaxed", "simple/simple", "relaxed/simple"…; one word alone is the header's, the body simple (RFC 6376 §3.5, c=).</summary>
    public static bool TryParse(string? text, out DkimCanonicalization canonicalization)
    {
        canonicalization = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Trim().Split('/');
        if (parts.Length > 2) return false;
        if (!TryParseOne(parts[0], out var header)) return false;
        var body = DkimCanonicalizationAlgorithm.Simple;
        if (parts.Length == 2 && !TryParseOne(parts[1], out body)) return false;
        canonicalization = new DkimCanonicalization(header, body);
        return true;
    }

    public override string ToString() => $"{Name(Header)}/{Name(Body)}";

    private static string Name(DkimCanonicalizationAlgorithm algorithm) => algorithm == DkimCanonicalizationAlgorithm.Relaxed ? "relaxed" : "simple";

    private static bool TryParseOne(string text, out DkimCanonicalizationAlgorithm algorithm)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "relaxed":
                algorithm = DkimCanonicalizationAlgorithm.Relaxed;
                return true;
            case "simple":
                algorithm = DkimCanonicalizationAlgorithm.Simple;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }
}
