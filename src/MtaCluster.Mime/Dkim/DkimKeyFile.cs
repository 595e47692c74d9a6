using System.Formats.Asn1;
using System.Security.Cryptography;

namespace MtaCluster.Mime.Dkim;

/// <summary>
/// Private keys as PEM files: PKCS#8 "PRIVATE KEY" for RSA and Ed25519 (RFC 5958, RFC 8410 §7), and
/// PKCS#1 "RSA PRIVATE KEY" as opendkim-genkey writes it. Written with mode 0600.
/// </summary>
public static class DkimKeyFile
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string Ed25519Oid = "1.3.101.112";

    /// <exception cref="InvalidDataException">The file holds no private key this signer can use.</exception>
    public static DkimSigningKey Load(string path) => Parse(File.ReadAllText(path), path);

    public static DkimSigningKey Parse(string pem, string source = "the key")
    {
        PemFields fields;
        try
        {
            fields = PemEncoding.Find(pem);
        }
        catch (ArgumentException)
        {
            throw new InvalidDataException($"{source} is not a PEM file (no -----BEGIN ... KEY----- block)");
        }
        var label = pem[fields.Label];
        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        try
        {
            return label switch
            {
                "RSA PRIVATE KEY" => Rsa(rsa => rsa.ImportRSAPrivateKey(der, out _)),
                "PRIVATE KEY" => FromPkcs8(der, source),
                _ => throw new InvalidDataException($"{source} holds a '{label}', not a private key (expected PRIVATE KEY or RSA PRIVATE KEY)"),
            };
        }
        catch (Exception ex) when (ex is CryptographicException or AsnContentException)
        {
            throw new InvalidDataException($"{source} is not a readable private key: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{source}: {ex.Message}", ex);
        }
    }

    /// <summary>The PKCS#8 PEM of a key (the seed of an Ed25519 key, RFC 8410 §7).</summary>
    public static string ToPem(RSA rsa) => rsa.ExportPkcs8PrivateKeyPem();

    public static string Ed25519ToPem(ReadOnlySpan<byte> seed)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence()) writer.WriteObjectIdentifier(Ed25519Oid);
            var inner = new AsnWriter(AsnEncodingRules.DER);
            inner.WriteOctetString(seed);
            writer.WriteOctetString(inner.Encode());
        }
        return new string(PemEncoding.Write("PRIVATE KEY", writer.Encode())) + "\n";
    }

    /// <summary>Writes the key file readable by its owner alone: it signs for the domain.</summary>
    public static void Write(string path, string pem)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }

    private static DkimSigningKey FromPkcs8(byte[] der, string source)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        reader.ReadInteger();
        var algorithm = reader.ReadSequence().ReadObjectIdentifier();
        switch (algorithm)
        {
            case RsaOid:
                return Rsa(rsa => rsa.ImportPkcs8PrivateKey(der, out _));
            case Ed25519Oid:
                var seed = new AsnReader(reader.ReadOctetString(), AsnEncodingRules.DER).ReadOctetString();
                if (seed.Length != Ed25519PrivateKey.SeedLength) throw new InvalidDataException($"{source}: an Ed25519 key is {Ed25519PrivateKey.SeedLength} octets, not {seed.Length}");
                return new Ed25519SigningKey(new Ed25519PrivateKey(seed));
            default:
                throw new InvalidDataException($"{source} holds a key of algorithm {algorithm}, neither RSA nor Ed25519");
        }
    }

    private static RsaSigningKey Rsa(Action<RSA> import)
    {
        var rsa = RSA.Create();
        try
        {
            import(rsa);
            return new RsaSigningKey(rsa);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }
}
