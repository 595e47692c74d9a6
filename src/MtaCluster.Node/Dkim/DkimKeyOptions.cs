namespace MtaCluster.Node.Dkim;

/// <summary>A further key of a signing domain, under its selector in AdditionalKeys.</summary>
public sealed class DkimKeyOptions
{
    /// <summary>The private key's PEM file; relative paths are from the data dir. Not set: dkim/selector.domain.pem there.</summary>
    public string? KeyPath { get; set; }

    /// <summary>rsa-sha256 or ed25519-sha256.</summary>
    public string Algorithm { get; set; } = "rsa-sha256";
}
