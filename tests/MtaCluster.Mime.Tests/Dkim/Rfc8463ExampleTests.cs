using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MtaCluster.Mime.Dkim;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests.Dkim;

/// <summary>
/// RFC 8463 Appendix A: the example message, its Ed25519 key and the published signature. Ed25519 is
/// deterministic, so our header canonicalisation, header hash and signing reproduce b= octet for octet.
/// </summary>
public sealed class Rfc8463ExampleTests
{
    public const string Seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    public const string PublicKey = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    private const string Signature =
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n" +
        " d=football.example.com; i=@football.example.com;\r\n" +
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n" +
        " subject : date : message-id : from : subject : date;\r\n" +
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n" +
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n" +
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n";

    private const string Headers =
        "From: Joe SixPack <joe@football.example.com>\r\n" +
        "To: Suzie Q <suzie@shopping.example.net>\r\n" +
        "Subject: Is dinner ready?\r\n" +
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n" +
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n";

    private const string Body = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n";

    [Fact]
    public void The_public_key_of_the_example_seed_is_the_published_one()
    {
        var key = new Ed25519PrivateKey(Convert.FromBase64String(Seed));
        Assert.Equal(PublicKey, Convert.ToBase64String(key.PublicKey));
    }

    [Fact]
    public void Signing_the_example_headers_reproduces_the_published_signature()
    {
        var published = Signature[(Signature.IndexOf(" b=", StringComparison.Ordinal) + 3)..].Replace("\r\n ", "").Trim();
        var template = Signature[..(Signature.IndexOf(" b=", StringComparison.Ordinal) + 3)];
        var headers = Encoding.ASCII.GetBytes(Headers);
        var fields = new DkimHeaderField[16];
        var count = DkimHeaderBlock.Parse(headers, fields, out _);
        string[] names = ["from", "to", "subject", "date", "message-id"];

        var hash = new byte[32];
        DkimSigner.HashHeaders(DkimCanonicalizationAlgorithm.Relaxed, names.Select(Encoding.ASCII.GetBytes).ToArray(), headers, fields.AsSpan(0, count),
            Encoding.ASCII.GetBytes(template), hash);
        var signature = new Ed25519PrivateKey(Convert.FromBase64String(Seed)).Sign(hash);

        Assert.Equal(published, Convert.ToBase64String(signature));
    }

    [Fact]
    public void The_example_body_hash_is_the_published_one()
    {
        var bh = DkimBodyHasher.Hash(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(Body)), DkimCanonicalizationAlgorithm.Relaxed);
        Assert.Equal("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=", Convert.ToBase64String(bh));
    }

    [Fact]
    public async Task The_installed_opendkim_verifies_the_published_example_and_our_signature_of_it()
    {
        using var opendkim = new OpenDkimVerifier();
        opendkim.AddKey("brisbane", "football.example.com", $"v=DKIM1; k=ed25519; p={PublicKey}");

        var published = await opendkim.VerifyAsync(Encoding.ASCII.GetBytes(Signature + Headers + "\r\n" + Body));
        Assert.Equal(["s=brisbane, d=football.example.com"], OpenDkimVerifier.Succeeded(published));

        using var key = new Ed25519SigningKey(new Ed25519PrivateKey(Convert.FromBase64String(Seed)));
        var signer = new DkimSigner([new DkimSigningDomain("football.example.com", [new DkimSelectorKey("brisbane", key)])]);
        var signed = signer.Sign(Encoding.ASCII.GetBytes(Headers + "\r\n" + Body), DateTimeOffset.FromUnixTimeSeconds(1528637909));
        var ours = await opendkim.VerifyAsync(signed.ToArray());
        Assert.Equal(["s=brisbane, d=football.example.com"], OpenDkimVerifier.Succeeded(ours));
        Assert.Empty(OpenDkimVerifier.Failed(ours));
    }
}
