namespace MtaCluster.Mime.Dkim;

/// <summary>
/// A private key a signer signs with, parsed once at start (keys are cached for the node's life) and
/// safe to use from every session at once.
/// </summary>
public abstract class DkimSigningKey : IDisposable
{
    public abstract DkimAlgorithm Algorithm { get; }

    /// <summary>The most octets <see cref="Sign"/> writes.</summary>
    public abstract int SignatureLength { get; }

    /// <summary>The key's size in bits, as verifiers report it.</summary>
    public abstract int KeySize { get; }

    /// <summary>Signs the SHA-256 of the canonical headers (RFC 6376 §3.7; RFC 8463 §3 signs that hash with PureEdDSA).</summary>
    public abstract int Sign(ReadOnlySpan<byte> sha256, Span<byte> signature);

    /// <summary>The p= value of the DNS record (RFC 6376 §3.6.1; RFC 8463 §4.2 for ed25519: the raw public key).</summary>
    public abstract string PublicKeyBase64();

    /// <summary>The TXT value to publish at selector._domainkey.domain.</summary>
    public string DnsRecordValue() => $"v=DKIM1; k={DkimAlgorithmNames.KeyTypeOf(Algorithm)}; p={PublicKeyBase64()}";

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
