using System.Text;
using MtaCluster.Delivery.Lifecycle;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Tests;

public sealed class MimeDeliveryReportComposerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    private static QueuedRecipient Failed(string? orcpt = null) =>
        new(1, "M1", "bad@x.test", "x.test", 0, orcpt, DsnNotify.NotGiven, RecipientState.Failed, 1, T0, T0, "550 5.1.1 no such user", 0,
            LastAttemptAt: T0, RemoteMta: "mx.x.test");

    private static StoredMessage Original(byte[] content, string? envid = null) =>
        new("M1", "app@home.test", StoredBody.FromBytes(content), T0, MessageBodyType.SevenBit, false, DsnReturn.NotGiven, envid, null, null);

    private static async Task<string> ComposeAsync(StoredMessage original, QueuedRecipient recipient) =>
        Encoding.UTF8.GetString(await new MimeDeliveryReportComposer("mta.test").ComposeAsync(
            new DeliveryReport(DeliveryReportKind.Failed, original, [recipient], T0)));

    [Fact]
    public async Task Line_breaks_in_a_clients_envid_or_orcpt_cannot_forge_status_fields()
    {
        var dsn = await ComposeAsync(Original("Subject: x\r\n\r\nbody\r\n"u8.ToArray(), envid: "id\r\nAction: delivered"),
            Failed("rfc822;bad@x.test\r\nStatus: 2.0.0"));
        var lines = dsn.Split("\r\n");
        Assert.DoesNotContain("Action: delivered", lines);
        Assert.DoesNotContain("Status: 2.0.0", lines);
        Assert.Contains(lines, l => l.StartsWith("Original-Envelope-Id: id??Action: delivered", StringComparison.Ordinal));
        Assert.Contains("Action: failed", lines);
    }

    [Fact]
    public async Task An_original_whose_header_is_too_big_to_parse_still_gets_its_report()
    {
        var header = new StringBuilder("To: ");
        for (var i = 0; i < 20_000; i++) header.Append($"user{i}@example.test, ");
        var content = Encoding.ASCII.GetBytes($"Subject: huge\r\n{header}\r\n\r\nbody\r\n");

        var dsn = await ComposeAsync(Original(content), Failed());

        Assert.Contains("Final-Recipient: rfc822; bad@x.test", dsn);
        Assert.Contains("Status: 5.1.1", dsn);
        Assert.DoesNotContain("user19999@example.test", dsn);
    }
}
