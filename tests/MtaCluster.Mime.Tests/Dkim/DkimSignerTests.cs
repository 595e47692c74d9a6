using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Mail;
using MtaCluster.Mime.Dkim;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests.Dkim;

/// <summary>Which domain signs, what h= lists, and what a signed message keeps of the one it was.</summary>
public sealed class DkimSignerTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly RsaSigningKey _rsa = new(RSA.Create(1024));
    private readonly Ed25519SigningKey _ed25519 = new(Ed25519PrivateKey.Generate(out _));

    public void Dispose()
    {
        _rsa.Dispose();
        _ed25519.Dispose();
    }

    private DkimSigningDomain Domain(string name, string selector = "s1") => new(name, [new DkimSelectorKey(selector, _rsa)]);

    private static string Message(string from, string more = "") =>
        $"From: {from}\r\nTo: bob@example.net\r\nSubject: hi\r\n{more}\r\nbody\r\n";

    private static string Signed(DkimSigner signer, string message, out int count) =>
        Encoding.UTF8.GetString(signer.Sign(Encoding.UTF8.GetBytes(message), Now, out count).ToArray());

    private static string Tag(string signed, string tag)
    {
        var field = signed[..signed.IndexOf("\r\nFrom:", StringComparison.Ordinal)].Replace("\r\n\t", " ");
        var at = field.IndexOf($" {tag}=", StringComparison.Ordinal) + tag.Length + 2;
        return field[at..field.IndexOf(';', at)].Replace(" ", "");
    }

    [Theory]
    [InlineData("alice@example.com", "example.com")]
    [InlineData("Alice <alice@EXAMPLE.com>", "example.com")]
    [InlineData("\"Sales <sales@other.org>, and@more\" <alice@mail.example.com>", "example.com")]
    [InlineData("alice@news.shop.example.com (the shop)", "shop.example.com")]
    [InlineData("=?UTF-8?B?5byg5LiJ?= <zhang@shop.example.com>", "shop.example.com")]
    [InlineData("Team: alice@example.com, bob@example.org;", "example.com")]
    public void The_From_domain_or_its_nearest_configured_parent_signs(string from, string domain)
    {
        var signer = new DkimSigner([Domain("example.com"), Domain("shop.example.com")]);

        var signed = Signed(signer, Message(from), out var count);

        Assert.Equal(1, count);
        Assert.Equal(domain, Tag(signed, "d"));
    }

    [Theory]
    [InlineData("alice@example.org")]
    [InlineData("alice@com")]
    [InlineData("alice@[192.0.2.1]")]
    [InlineData("undisclosed-sender:;")]
    public void Mail_from_a_domain_without_keys_is_left_as_it_is(string from)
    {
        var signer = new DkimSigner([Domain("example.com"), Domain("com")]);
        var message = Encoding.UTF8.GetBytes(Message(from));

        var result = signer.Sign(message, Now, out var count);

        Assert.Equal(from == "alice@com" ? 1 : 0, count);
        if (count == 0) Assert.Equal(message, result.ToArray());
    }

    [Fact]
    public void A_top_level_domain_key_never_signs_for_the_domains_under_it()
    {
        var signer = new DkimSigner([Domain("com")]);
        signer.Sign(Encoding.UTF8.GetBytes(Message("alice@example.com")), Now, out var count);
        Assert.Equal(0, count);
    }

    [Fact]
    public void The_default_domain_signs_mail_of_domains_without_keys()
    {
        var signer = new DkimSigner([Domain("example.com"), Domain("relay.example.net")], defaultDomain: "relay.example.net");

        Assert.Equal("relay.example.net", Tag(Signed(signer, Message("app@customer.org"), out _), "d"));
        Assert.Equal("example.com", Tag(Signed(signer, Message("app@example.com"), out _), "d"));
    }

    [Fact]
    public void From_is_over_signed_and_the_other_fields_are_named_once_for_each_time_they_occur()
    {
        var signer = new DkimSigner([Domain("example.com")]);

        var signed = Signed(signer, Message("alice@example.com", "Received: x\r\nTo: carol@example.net\r\nX-Other: y\r\n"), out _);

        Assert.Equal("from:from:to:to:subject", Tag(signed, "h"));
    }

    [Fact]
    public void The_timestamp_and_the_expiry_are_from_the_acceptance_time()
    {
        var signer = new DkimSigner([Domain("example.com")], expireAfter: TimeSpan.FromDays(7));

        var signed = Signed(signer, Message("alice@example.com"), out _);

        Assert.Equal("1800000000", Tag(signed, "t"));
        Assert.Equal((1_800_000_000 + 7 * 86400).ToString(), Tag(signed, "x"));
        Assert.DoesNotContain(" x=", Signed(new DkimSigner([Domain("example.com")]), Message("alice@example.com"), out _));
    }

    [Fact]
    public void A_message_signed_once_is_not_signed_again_by_the_same_key_but_is_by_another()
    {
        var signer = new DkimSigner([Domain("example.com")]);
        var once = signer.Sign(Encoding.UTF8.GetBytes(Message("alice@example.com")), Now);

        var twice = signer.Sign(once, Now, out var again);
        var other = new DkimSigner([Domain("example.com", selector: "s2")]).Sign(once, Now, out var byOther);

        Assert.Equal(0, again);
        Assert.Equal(once.ToArray(), twice.ToArray());
        Assert.Equal(1, byOther);
        Assert.Equal(2, Regex.Count(Encoding.UTF8.GetString(other.ToArray()), "DKIM-Signature:"));
    }

    [Fact]
    public void The_signatures_go_in_front_of_the_prefix_and_the_body_stays_in_its_own_buffers()
    {
        var signer = new DkimSigner([new DkimSigningDomain("example.com", [new DkimSelectorKey("s1", _rsa), new DkimSelectorKey("ed1", _ed25519)])]);
        var prefix = Encoding.ASCII.GetBytes("Received: by mta.example.com; Tue, 01 Dec 2026 10:00:00 +0000\r\n");
        var body = SegmentedSequence.Chunked(Encoding.UTF8.GetBytes(Message("alice@example.com")), 5);

        var signed = signer.Sign(new MessageContent(prefix, body), Now, out var count);

        Assert.Equal(2, count);
        Assert.Equal(body.Start, signed.Body.Start);
        Assert.Equal(body.End, signed.Body.End);
        var head = Encoding.ASCII.GetString(signed.Prefix.Span);
        Assert.StartsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n\td=example.com; s=s1; t=", head);
        Assert.Contains("\r\nDKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n\td=example.com; s=ed1; t=", head);
        Assert.EndsWith("\r\n" + Encoding.ASCII.GetString(prefix), head);
        Assert.All(head.Split("\r\n"), line => Assert.True(line.Length <= 78, line));
    }

    [Fact]
    public void The_prefix_headers_are_signed_too()
    {
        // On submission the server adds Message-ID and Date in the prefix (RFC 6409 §8): they are the message's.
        var signer = new DkimSigner([Domain("example.com")]);
        var prefix = Encoding.ASCII.GetBytes("Message-ID: <1@mta.example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n");

        var signed = Encoding.UTF8.GetString(signer.Sign(new MessageContent(prefix, new(Encoding.UTF8.GetBytes(Message("alice@example.com")))), Now).ToArray());

        Assert.Equal("from:from:to:subject:date:message-id", Tag(signed.Replace("\r\nMessage-ID", "\r\nX").Replace("\r\nDate", "\r\nY"), "h"));
    }

    [Fact]
    public void A_header_block_past_the_limit_is_not_signed()
    {
        var signer = new DkimSigner([Domain("example.com")]);
        var huge = Message("alice@example.com", string.Concat(Enumerable.Repeat("X-Filler: " + new string('f', 990) + "\r\n", 300)));

        signer.Sign(Encoding.UTF8.GetBytes(huge), Now, out var count);

        Assert.Equal(0, count);
    }
}
