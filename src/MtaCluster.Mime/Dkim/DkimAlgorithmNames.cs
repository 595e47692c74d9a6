namespace MtaCluster.Mime.Dkim;

/// <summary>The a= names (RFC 6376 §3.5) and the k= key types of the DNS record (RFC 6376 §3.6.1, RFC 8463 §4.2).</summary>
public static class DkimAlgorithmNames
{
    public const string RsaSha256 = "rsa-sha256";
    public const string Ed25519Sha256 = "ed25519-sha256";

    public static string Of(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.Ed25519Sha256 ? Ed25519Sha256 : RsaSha256;

    public static string KeyTypeOf(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa";

    /// <summary>"rsa-sha256" or "ed25519-sha256" (the key types "rsa" and "ed25519" too), any case.</summary>
    public static bool TryParse(string? text, out DkimAlgorithm algorithm)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case RsaSha256 or "rsa":
                algorithm = DkimAlgorithm.RsaSha256;
                return true;
            case Ed25519Sha256 or "ed25519":
                algorithm = DkimAlgorithm.Ed25519Sha256;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }
}
