using MtaCluster.Mime.Dkim;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests.Dkim;

/// <summary>Ed25519 signing (RFC 8032 §5.1) against the RFC's own test vectors and against OpenSSL.</summary>
public sealed class Ed25519PrivateKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-ed25519-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // RFC 8032 §7.1, TEST 1, 2 and 3: secret key, public key, message, signature.
    public static TheoryData<string, string, string, string> Rfc8032Vectors() => new()
    {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
    };

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Signs_the_RFC_8032_test_vectors(string secret, string publicKey, string message, string signature)
    {
        var key = new Ed25519PrivateKey(Convert.FromHexString(secret));

        Assert.Equal(publicKey, Convert.ToHexStringLower(key.PublicKey));
        Assert.Equal(signature, Convert.ToHexStringLower(key.Sign(Convert.FromHexString(message))));
    }

    [Fact]
    public async Task A_key_generated_by_openssl_gives_the_public_key_and_the_signatures_openssl_gives()
    {
        var pem = Path.Combine(_dir, "openssl.pem");
        await ExternalProcess.RunAsync("openssl", "genpkey", "-algorithm", "ed25519", "-out", pem);
        var key = Assert.IsType<Ed25519SigningKey>(DkimKeyFile.Load(pem));

        var publicDer = Path.Combine(_dir, "public.der");
        await ExternalProcess.RunAsync("openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER", "-out", publicDer);
        // SubjectPublicKeyInfo for Ed25519 (RFC 8410 §4): 12 octets of algorithm, then the 32-octet key.
        Assert.Equal(File.ReadAllBytes(publicDer)[12..], key.Key.PublicKey.ToArray());

        // Ed25519 is deterministic (RFC 8032 §5.1.6): the same key and message give the same signature.
        // openssl pkeyutl refuses an empty input file; RFC 8032 TEST 1 covers the empty message.
        foreach (var length in new[] { 1, 32, 1000 })
        {
            var message = new byte[length];
            Random.Shared.NextBytes(message);
            var input = Path.Combine(_dir, $"m{length}");
            var output = Path.Combine(_dir, $"s{length}");
            await File.WriteAllBytesAsync(input, message);
            await ExternalProcess.RunAsync("openssl", "pkeyutl", "-sign", "-rawin", "-inkey", pem, "-in", input, "-out", output);
            Assert.Equal(File.ReadAllBytes(output), key.Key.Sign(message));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_PKCS8_file_written_for_a_new_key_is_one_openssl_reads_as_the_same_key()
    {
        Ed25519PrivateKey.Generate(out var seed);
        var pem = Path.Combine(_dir, "ours.pem");
        DkimKeyFile.Write(pem, DkimKeyFile.Ed25519ToPem(seed));
        var key = Assert.IsType<Ed25519SigningKey>(DkimKeyFile.Load(pem));

        var publicDer = Path.Combine(_dir, "ours-public.der");
        await ExternalProcess.RunAsync("openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER", "-out", publicDer);
        Assert.Equal(File.ReadAllBytes(publicDer)[12..], key.Key.PublicKey.ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(pem));
    }
}
