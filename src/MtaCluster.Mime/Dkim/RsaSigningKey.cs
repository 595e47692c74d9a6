using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// An rsa-sha256 key (RFC 6376 §3.3.1; RFC 8301 §3.2: at least 1024 bits, 2048 recommended). An RSA
/// object is not documented as safe for concurrent use, so sessions signing at once each take one
/// from a small pool of copies of the same key rather than queueing on a lock.
/// </summary>
public sealed class RsaSigningKey : DkimSigningKey
{
    public const int MinimumKeySize = 1024;

    private readonly byte[] _pkcs8;
    private readonly ConcurrentBag<RSA> _pool = [];

    public RsaSigningKey(RSA rsa)
    {
        if (rsa.KeySize < MinimumKeySize) throw new ArgumentException($"an RSA key of {rsa.KeySize} bits is too short for DKIM (RFC 8301 §3.2 asks for at least {MinimumKeySize})");
        KeySize = rsa.KeySize;
        _pkcs8 = rsa.ExportPkcs8PrivateKey();
        _pool.Add(rsa);
    }

    public override DkimAlgorithm Algorithm => DkimAlgorithm.RsaSha256;

    public override int SignatureLength => (KeySize + 7) / 8;

    public override int KeySize { get; }

    public override int Sign(ReadOnlySpan<byte> sha256, Span<byte> signature)
    {
        var rsa = Rent();
        try
        {
            return rsa.SignHash(sha256, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        finally
        {
            _pool.Add(rsa);
        }
    }

    public override string PublicKeyBase64()
    {
        var rsa = Rent();
        try
        {
            return Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        }
        finally
        {
            _pool.Add(rsa);
        }
    }

    public override void Dispose()
    {
        while (_pool.TryTake(out var rsa)) rsa.Dispose();
        base.Dispose();
    }

    private RSA Rent()
    {
        if (_pool.TryTake(out var rsa)) return rsa;
        rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(_pkcs8, out _);
        return rsa;
    }
}
