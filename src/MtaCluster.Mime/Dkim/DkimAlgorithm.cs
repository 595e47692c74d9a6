namespace MtaCluster.Mime.Dkim;

/// <summary>The signing algorithms a signer may use: RFC 8301 §3.1 retires rsa-sha1; RFC 8463 adds ed25519-sha256.</summary>
public enum DkimAlgorithm
{
    RsaSha256,
    Ed25519Sha256,
}
