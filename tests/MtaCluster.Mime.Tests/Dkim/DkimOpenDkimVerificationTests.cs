using System.Text;
using MtaCluster.Mail;
using MtaCluster.Mime.Dkim;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests.Dkim;

/// <summary>
/// Every signature judged by Debian's opendkim: RSA with both canonicalisations over folded headers,
/// long lines, an empty body and Chinese encoded words, our Ed25519 key, and the changes that must
/// break a signature (body, a signed header, a second From).
/// </summary>
public sealed class DkimOpenDkimVerificationTests(OpenDkimKeyFixture keys) : IClassFixture<OpenDkimKeyFixture>, IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly OpenDkimVerifier _opendkim = new();

    public void Dispose() => _opendkim.Dispose();

    private const string Plain =
        "From: Alice <alice@example.com>\r\n" +
        "To: bob@example.net\r\n" +
        "Subject: Hello\r\n" +
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
        "Message-ID: <plain.1@example.com>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=us-ascii\r\n" +
        "\r\n" +
        "Hello Bob,\r\n\r\nthe report is attached.  \r\n\r\n\r\n";

    private const string Folded =
        "From: \"Alice, Sales\" <alice@example.com>\r\n" +
        "To: bob@example.net,\r\n" +
        "\tcarol@example.net,\r\n" +
        "  dave@example.net\r\n" +
        "Subject: A subject   that is\r\n" +
        " folded\t\tover\r\n" +
        "\tthree lines   \r\n" +
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
        "List-Unsubscribe: <https://example.com/u/123>,\r\n <mailto:unsubscribe@example.com?subject=123>\r\n" +
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
        "Content-Type: multipart/alternative;\r\n\tboundary=\"b1\"\r\n" +
        "\r\n" +
        "--b1\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b1--\r\n";

    private const string EmptyBody =
        "From: alice@example.com\r\n" +
        "To: bob@example.net\r\n" +
        "Subject: nothing to say\r\n" +
        "\r\n";

    private const string Chinese =
        "From: =?UTF-8?B?5byg5LiJ?= <zhang@example.com>\r\n" +
        "To: =?UTF-8?B?5p2O5Zub?= <li@example.net>\r\n" +
        "Subject: =?UTF-8?B?5rWL6K+V6YKu5Lu277ya5Lit5paH5qCH6aKY?=\r\n" +
        " =?UTF-8?B?56ys5LqM6KGM?=\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "Content-Transfer-Encoding: 8bit\r\n" +
        "\r\n" +
        "你好，世界。\r\n这是一封测试邮件。\r\n";

    private static string LongLines() =>
        "From: alice@example.com\r\nTo: bob@example.net\r\n" +
        "Subject: " + string.Join(" ", Enumerable.Range(0, 120).Select(i => $"w{i}")) + "\r\n" +
        "\r\n" +
        new string('x', 998) + "\r\n" + string.Join("  ", Enumerable.Range(0, 200).Select(i => $"word{i}")) + "\r\nend\r\n";

    public static TheoryData<string, string> Messages() => new()
    {
        { "relaxed/relaxed", "plain" }, { "simple/simple", "plain" },
        { "relaxed/relaxed", "folded" }, { "simple/simple", "folded" },
        { "relaxed/relaxed", "long lines" }, { "simple/simple", "long lines" },
        { "relaxed/relaxed", "empty body" }, { "simple/simple", "empty body" },
        { "relaxed/relaxed", "chinese" }, { "simple/simple", "chinese" },
    };

    private static string MessageNamed(string name) => name switch
    {
        "plain" => Plain,
        "folded" => Folded,
        "long lines" => LongLines(),
        "empty body" => EmptyBody,
        "chinese" => Chinese,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private DkimSigner Signer(string canonicalization, string selectors = "s1")
    {
        Assert.True(DkimCanonicalization.TryParse(canonicalization, out var c));
        var chosen = selectors.Split(',').Select(s => new DkimSelectorKey(s, s == "ed1" ? keys.Ed25519 : keys.Rsa)).ToList();
        return new DkimSigner([new DkimSigningDomain("example.com", chosen, c)]);
    }

    /// <summary>The message without the signature field of one selector (each signature covers neither the other nor itself).</summary>
    private static byte[] Without(string message, string selector)
    {
        var lines = message.Split("\r\n").ToList();
        for (var i = 0; i < lines.Count; i++)
        {
            if (!lines[i].StartsWith("DKIM-Signature:", StringComparison.Ordinal)) continue;
            var end = i + 1;
            while (end < lines.Count && lines[end].StartsWith('\t')) end++;
            if (!string.Concat(lines[i..end]).Contains($"s={selector};", StringComparison.Ordinal)) continue;
            lines.RemoveRange(i, end - i);
            return Encoding.UTF8.GetBytes(string.Join("\r\n", lines));
        }
        throw new InvalidOperationException($"no signature of selector {selector}");
    }

    private void Publish()
    {
        _opendkim.AddKey("s1", "example.com", keys.RsaRecord);
        _opendkim.AddKey("ed1", "example.com", keys.Ed25519.DnsRecordValue());
    }

    /// <summary>As the SMTP server hands a message over: a Received prefix, the client's octets in small pooled segments.</summary>
    private static MessageContent Accepted(string message) => new(
        Encoding.ASCII.GetBytes("Received: from client.example.com ([192.0.2.1])\r\n\tby mta.example.com with ESMTP id 1; Tue, 01 Dec 2026 10:00:00 +0000\r\n"),
        SegmentedSequence.Chunked(Encoding.UTF8.GetBytes(message), 7));

    [Theory]
    [MemberData(nameof(Messages))]
    public async Task Opendkim_verifies_the_RSA_signature(string canonicalization, string message)
    {
        Publish();
        var signed = Signer(canonicalization).Sign(Accepted(MessageNamed(message)), Now, out var count);
        Assert.Equal(1, count);

        var output = await _opendkim.VerifyAsync(signed.ToArray());

        Assert.Equal(["s=s1, d=example.com"], OpenDkimVerifier.Succeeded(output));
        Assert.Contains("2048-bit key) succeeded", output);
    }

    [Theory]
    [InlineData("relaxed/relaxed")]
    [InlineData("simple/simple")]
    public async Task Opendkim_verifies_the_Ed25519_signature(string canonicalization)
    {
        Publish();
        var signed = Signer(canonicalization, "ed1").Sign(Accepted(Folded), Now);

        var output = await _opendkim.VerifyAsync(signed.ToArray());

        Assert.Equal(["s=ed1, d=example.com"], OpenDkimVerifier.Succeeded(output));
    }

    [Fact]
    public async Task An_RSA_and_an_Ed25519_signature_of_one_message_each_verify()
    {
        Publish();
        var signed = Signer("relaxed/relaxed", "s1,ed1").Sign(Accepted(Chinese), Now, out var count);
        Assert.Equal(2, count);
        var text = Encoding.UTF8.GetString(signed.ToArray());

        // opendkim reports one signature per message: judge each with the other taken out.
        var rsa = await _opendkim.VerifyAsync(Without(text, "ed1"));
        var ed25519 = await _opendkim.VerifyAsync(Without(text, "s1"));

        Assert.Equal(["s=s1, d=example.com"], OpenDkimVerifier.Succeeded(rsa));
        Assert.Equal(["s=ed1, d=example.com"], OpenDkimVerifier.Succeeded(ed25519));
    }

    public static TheoryData<string, string> CanonicalizationsAndKeys() => new()
    {
        { "relaxed/relaxed", "s1" }, { "simple/simple", "s1" }, { "relaxed/relaxed", "ed1" }, { "simple/simple", "ed1" },
    };

    [Theory]
    [MemberData(nameof(CanonicalizationsAndKeys))]
    public async Task A_changed_body_fails(string canonicalization, string selector)
    {
        Publish();
        var signed = Encoding.UTF8.GetString(Signer(canonicalization, selector).Sign(Accepted(Plain), Now).ToArray());
        Assert.Single(OpenDkimVerifier.Succeeded(await _opendkim.VerifyAsync(Encoding.UTF8.GetBytes(signed))));

        var output = await _opendkim.VerifyAsync(Encoding.UTF8.GetBytes(signed.Replace("the report", "the rep0rt")));

        Assert.Empty(OpenDkimVerifier.Succeeded(output));
        Assert.Equal([$"s={selector}, d=example.com"], OpenDkimVerifier.Failed(output));
    }

    [Theory]
    [MemberData(nameof(CanonicalizationsAndKeys))]
    public async Task A_changed_signed_header_fails(string canonicalization, string selector)
    {
        Publish();
        var signed = Encoding.UTF8.GetString(Signer(canonicalization, selector).Sign(Accepted(Plain), Now).ToArray());

        var output = await _opendkim.VerifyAsync(Encoding.UTF8.GetBytes(signed.Replace("Subject: Hello", "Subject: Hell0")));

        Assert.Empty(OpenDkimVerifier.Succeeded(output));
        Assert.Equal([$"s={selector}, d=example.com"], OpenDkimVerifier.Failed(output));
    }

    [Fact]
    public async Task A_second_From_added_after_signing_fails_because_From_is_over_signed()
    {
        Publish();
        var signed = Signer("relaxed/relaxed").Sign(Accepted(Plain), Now).ToArray();
        var withSecondFrom = Encoding.UTF8.GetBytes("From: Mallory <mallory@example.com>\r\n").Concat(signed).ToArray();
        var untouched = await _opendkim.VerifyAsync(signed);
        Assert.Single(OpenDkimVerifier.Succeeded(untouched));

        var output = await _opendkim.VerifyAsync(withSecondFrom);

        Assert.Empty(OpenDkimVerifier.Succeeded(output));
    }

    [Fact]
    public async Task Relaxed_survives_refolding_and_white_space_changes_that_simple_does_not()
    {
        Publish();
        static string Refold(string message) => message.Replace("Subject: Hello", "Subject:   Hello  ").Replace("the report is attached.", "the report  is attached.");
        var relaxed = Encoding.UTF8.GetString(Signer("relaxed/relaxed").Sign(Accepted(Plain), Now).ToArray());
        var simple = Encoding.UTF8.GetString(Signer("simple/simple").Sign(Accepted(Plain), Now).ToArray());

        Assert.Single(OpenDkimVerifier.Succeeded(await _opendkim.VerifyAsync(Encoding.UTF8.GetBytes(Refold(relaxed)))));
        Assert.Empty(OpenDkimVerifier.Succeeded(await _opendkim.VerifyAsync(Encoding.UTF8.GetBytes(Refold(simple)))));
    }

    [Fact]
    public void Our_record_for_the_opendkim_genkey_key_has_the_same_public_key_as_its_own()
    {
        var theirs = keys.RsaRecord.Split(';').Select(t => t.Trim()).Single(t => t.StartsWith("p=", StringComparison.Ordinal));
        var ours = keys.Rsa.DnsRecordValue().Split(';').Select(t => t.Trim()).Single(t => t.StartsWith("p=", StringComparison.Ordinal));
        Assert.Equal(theirs, ours);
        Assert.Equal(2048, keys.Rsa.KeySize);
    }
}
