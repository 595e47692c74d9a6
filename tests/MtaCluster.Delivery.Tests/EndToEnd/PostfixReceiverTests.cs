using MtaCluster.Delivery.Accounting;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>Postfix as the receiving MTA: STARTTLS, a relay refusal, and what the accounting log says of them.</summary>
public sealed class PostfixReceiverTests(PostfixServer postfix) : IClassFixture<PostfixServer>
{
    private string Domains => $"default:\n{DeliveryHarness.FastRetry}\ndomains:\n  {PostfixServer.Domain}:\n    route: 127.0.0.1:{postfix.EndPoint.Port}\n    tls: required\n" +
                              $"  elsewhere.example:\n    route: 127.0.0.1:{postfix.EndPoint.Port}\n    tls: opportunistic\n";

    [Fact]
    public async Task Required_TLS_delivers_over_STARTTLS_and_records_protocol_and_cipher()
    {
        await using var mta = await DeliveryHarness.StartAsync(Domains, postfix.EndPoint.Port);
        var tag = Guid.NewGuid().ToString("N")[..8];
        var id = await mta.SubmitAsync("sender@example.com", [$"tls-{tag}@{PostfixServer.Domain}"]);

        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Delivered, record.Type);
        Assert.StartsWith("Tls", record.TlsProtocol);
        Assert.False(string.IsNullOrEmpty(record.TlsCipher));
        var log = await postfix.WaitForLogAsync($"to=<tls-{tag}@{PostfixServer.Domain}>");
        Assert.Contains("status=sent", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postfix_refusing_to_relay_is_a_policy_bounce()
    {
        await using var mta = await DeliveryHarness.StartAsync(Domains, postfix.EndPoint.Port);
        var id = await mta.SubmitAsync("sender@example.com", ["someone@elsewhere.example"]);
        var record = (await mta.Accounting.WaitForAsync(r => r.MessageId == id))[0];
        Assert.Equal(AccountingRecordType.Bounced, record.Type);
        Assert.Equal("5.7.1", record.Reply!.Enhanced);
        Assert.Equal("policy-related", record.Category);
    }
}
