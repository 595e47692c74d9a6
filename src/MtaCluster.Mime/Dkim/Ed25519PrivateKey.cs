using System.Numerics;
using System.Security.Cryptography;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// An Ed25519 signing key (RFC 8032 §5.1.5, §5.1.6): the 32-octet seed expanded once into the
/// clamped scalar, the nonce prefix and the public key, so a signature costs two SHA-512 and one
/// fixed-base multiplication. The .NET base library has no Ed25519. Not hardened against timing
/// side channels (BigInteger arithmetic): the key signs on the relay's own host.
/// </summary>
public sealed class Ed25519PrivateKey
{
    public const int SeedLength = 32;
    public const int PublicKeyLength = 32;
    public const int SignatureLength = 64;

    private readonly byte[] _scalar = new byte[32];
    private readonly BigInteger _s;
    private readonly byte[] _prefix = new byte[32];
    private readonly byte[] _publicKey = new byte[PublicKeyLength];

    public Ed25519PrivateKey(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedLength) throw new ArgumentException($"An Ed25519 seed is {SeedLength} octets.", nameof(seed));
        Span<byte> h = stackalloc byte[64];
        SHA512.HashData(seed, h);
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        h[..32].CopyTo(_scalar);
        h[32..].CopyTo(_prefix);
        _s = new BigInteger(_scalar, isUnsigned: true, isBigEndian: false);
        Ed25519Point.MultiplyBase(_scalar).Encode(_publicKey);
    }

    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>A new random key.</summary>
    public static Ed25519PrivateKey Generate(out byte[] seed)
    {
        seed = RandomNumberGenerator.GetBytes(SeedLength);
        return new Ed25519PrivateKey(seed);
    }

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[SignatureLength];
        Sign(message, signature);
        return signature;
    }

    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        if (signature.Length < SignatureLength) throw new ArgumentException($"A signature is {SignatureLength} octets.", nameof(signature));
        Span<byte> digest = stackalloc byte[64];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);

        sha.AppendData(_prefix);
        sha.AppendData(message);
        sha.GetHashAndReset(digest);
        var r = ReduceModL(digest);
        Span<byte> rBytes = stackalloc byte[32];
        WriteScalar(r, rBytes);
        Ed25519Point.MultiplyBase(rBytes).Encode(signature);

        sha.AppendData(signature[..32]);
        sha.AppendData(_publicKey);
        sha.AppendData(message);
        sha.GetHashAndReset(digest);
        var k = ReduceModL(digest);
        var s = BigInteger.Remainder(r + k * _s, Ed25519Point.L);
        WriteScalar(s, signature.Slice(32, 32));
    }

    private static BigInteger ReduceModL(ReadOnlySpan<byte> digest) =>
        BigInteger.Remainder(new BigInteger(digest, isUnsigned: true, isBigEndian: false), Ed25519Point.L);

    private static void WriteScalar(BigInteger value, Span<byte> destination)
    {
        destination.Clear();
        value.TryWriteBytes(destination, out _, isUnsigned: true, isBigEndian: false);
    }
}
