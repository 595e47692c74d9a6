namespace MtaCluster.Mime.Dkim;

/// <summary>An ed25519-sha256 key (RFC 8463).</summary>
public sealed class Ed25519SigningKey(Ed25519PrivateKey key) : DkimSigningKey
{
    public Ed25519PrivateKey Key { get; } = key;

    public override DkimAlgorithm Algorithm => DkimAlgorithm.Ed25519Sha256;

    public override int SignatureLength => Ed25519PrivateKey.SignatureLength;

    public override int KeySize => 256;

    public override int Sign(ReadOnlySpan<byte> sha256, Span<byte> signature)
    {
        Key.Sign(sha256, signature);
        return Ed25519PrivateKey.SignatureLength;
    }

    public override string PublicKeyBase64() => Convert.ToBase64String(Key.PublicKey);
}
