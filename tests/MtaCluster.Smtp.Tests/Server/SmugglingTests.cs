using System.Globalization;
using System.Text;
using MtaCluster.Smtp.Spool;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>
/// SMTP smuggling, end to end through a session: a message holding an end-of-data look-alike followed by a
/// whole second transaction. The session must not end DATA early, must never run the smuggled commands,
/// must answer the message once (250, or 550 5.6.11 / 550 5.6.0) and stay in sync for the next command,
/// and what it accepts must be safe to relay to a lenient receiver.
/// </summary>
public class SmugglingTests
{
    private static readonly string[] Refusals = ["550 5.6.11 ", "550 5.6.0 "];

    /// <summary>A cut inside or just around the look-alike, a different one per case, so the two writes split it everywhere.</summary>
    private static int CutFor(EndOfDataLookalikes.Case c, int index) =>
        Math.Clamp(c.LookalikeStart + index % (c.LookalikeLength + 2), 1, c.Wire.Length - 1);

    private static void CheckStored(IEnumerable<ReceivedMessage> accepted, List<string> failures)
    {
        foreach (var m in accepted)
        {
            if (m.ReversePath == EndOfDataLookalikes.SmuggledSender) failures.Add($"{m.Id}: the smuggled transaction was queued");
            foreach (var problem in LenientReceivers.Problems(m.Content.ToArray())) failures.Add($"{m.Id}: accepted, but {problem}");
        }
    }

    private static async Task SendInTwoWritesAsync(TestClient client, byte[] bytes, int cut)
    {
        await client.SendBytesAsync(bytes[..cut]);
        await client.SendBytesAsync(bytes[cut..]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Data_with_any_look_alike_is_answered_once_and_the_session_stays_in_sync(bool stripNul)
    {
        await using var h = SessionHarness.Start(o => o.Content.StripNul = stripNul);
        await h.GreetAsync();
        var cases = EndOfDataLookalikes.Cases(data: true);
        var failures = new List<string>();
        int accepted = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<sender@example.com>"));
            Assert.StartsWith("250 2.1.5", await h.Client.CommandAsync("RCPT TO:<rcpt@example.net>"));
            Assert.StartsWith("354", await h.Client.CommandAsync("DATA"));
            await SendInTwoWritesAsync(h.Client, c.Wire, CutFor(c, i));
            if (await JudgeFinalReplyAsync(h, c, stripNul, failures)) accepted++;
        }
        Assert.Equal(accepted, h.Spool.Accepted.Count);
        CheckStored(h.Spool.Accepted, failures);
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {cases.Count} cases:\n" + string.Join("\n", failures.Take(40)));
        // Both outcomes occur: the table holds harmless look-alikes (a doubled dot) as well as refused ones.
        Assert.InRange(accepted, 1, cases.Count - 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bdat_with_any_look_alike_split_over_two_chunks_is_refused_or_made_safe(bool stripNul)
    {
        await using var h = SessionHarness.Start(o => o.Content.StripNul = stripNul);
        await h.GreetAsync();
        var cases = EndOfDataLookalikes.Cases(data: false);
        var failures = new List<string>();
        int accepted = 0;
        for (int i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            int cut = CutFor(c, i);
            Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<sender@example.com>"));
            Assert.StartsWith("250 2.1.5", await h.Client.CommandAsync("RCPT TO:<rcpt@example.net>"));
            string first = "BDAT " + cut.ToString(CultureInfo.InvariantCulture) + "\r\n";
            string last = "BDAT " + (c.Wire.Length - cut).ToString(CultureInfo.InvariantCulture) + " LAST\r\n";
            // Pipelined (RFC 3030 §4.2): both chunks in one go, the split also falling between TCP writes.
            await h.Client.SendBytesAsync([.. Encoding.ASCII.GetBytes(first), .. c.Wire[..cut], .. Encoding.ASCII.GetBytes(last), .. c.Wire[cut..]]);
            var chunkReply = await h.Client.ReadReplyAsync();
            if (chunkReply != $"250 2.0.0 {cut} octets received") failures.Add($"{c}: first chunk answered {chunkReply}");
            if (await JudgeFinalReplyAsync(h, c, stripNul, failures)) accepted++;
        }
        Assert.Equal(accepted, h.Spool.Accepted.Count);
        CheckStored(h.Spool.Accepted, failures);
        Assert.True(failures.Count == 0, $"{failures.Count} failures in {cases.Count} cases:\n" + string.Join("\n", failures.Take(40)));
        Assert.InRange(accepted, 1, cases.Count - 1);
    }

    /// <summary>
    /// Reads the reply to the end of a look-alike message: accepted (true), or refused with one of the
    /// expected replies; then checks with NOOP that no smuggled MAIL, RCPT or DATA was read as a
    /// command (their replies would come before NOOP's).
    /// </summary>
    private static async Task<bool> JudgeFinalReplyAsync(SessionHarness h, object lookalike, bool stripNul, List<string> failures)
    {
        var reply = await h.Client.ReadReplyAsync() ?? "(closed)";
        var accepted = reply.StartsWith("250 2.0.0 Ok: queued as", StringComparison.Ordinal);
        if (!accepted && (!Refusals.Any(r => reply.StartsWith(r, StringComparison.Ordinal)) || stripNul && reply.StartsWith("550 5.6.0", StringComparison.Ordinal)))
            failures.Add($"{lookalike}: answered {reply}");
        var noop = await h.Client.CommandAsync("NOOP");
        if (noop != "250 2.0.0 Ok") failures.Add($"{lookalike}: out of sync, NOOP answered {noop}");
        return accepted;
    }

    [Fact]
    public async Task Nul_smuggling_is_refused_with_550_5_6_0_and_the_next_transaction_works()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.StartsWith("354", await h.Client.CommandAsync("DATA"));
        await h.Client.SendBytesAsync([.. "Subject: a\r\n\r\nfirst\r\n"u8, 0, .. ".\r\nMAIL FROM:<evil@attacker.test>\r\n.\r\n"u8]);
        Assert.Equal("550 5.6.0 Message contains NUL characters, which RFC 5322 does not allow", await h.Client.ReadReplyAsync());
        Assert.StartsWith("250 2.1.0", await h.Client.CommandAsync("MAIL FROM:<sender@example.com>"));
        Assert.StartsWith("250 2.1.5", await h.Client.CommandAsync("RCPT TO:<rcpt@example.net>"));
        Assert.StartsWith("354", await h.Client.CommandAsync("DATA"));
        await h.Client.SendAsync("Subject: b\r\n\r\nsecond\r\n.\r\n");
        Assert.Equal("250 2.0.0 Ok: queued as Q000001", await h.Client.ReadReplyAsync());
        Assert.EndsWith("second\r\n", FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task Strip_nul_accepts_the_message_without_its_nuls()
    {
        await using var h = SessionHarness.Start(o => o.Content.StripNul = true);
        await h.OpenTransactionAsync();
        Assert.StartsWith("354", await h.Client.CommandAsync("DATA"));
        await h.Client.SendBytesAsync([.. "Subject: a\r\n\r\nfi"u8, 0, .. "rst\r\n"u8, 0, 0, .. "x\r\n.\r\n"u8]);
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());
        var content = h.Spool.Single().Content.ToArray();
        Assert.DoesNotContain((byte)0, content);
        Assert.EndsWith("\r\n\r\nfirst\r\nx\r\n", Encoding.ASCII.GetString(content));
    }

    [Fact]
    public async Task Over_tcp_every_named_look_alike_in_data_and_bdat_through_a_listener()
    {
        await using var server = await ServerFixture.StartAsync();
        await using var client = await TestClient.ConnectAsync(server.Relay);
        Assert.StartsWith("220 mx.test", await client.ReadReplyAsync());
        await client.CommandAsync("EHLO raw.test");
        var failures = new List<string>();
        int accepted = 0;
        var named = EndOfDataLookalikes.Cases(data: true).Where(c => EndOfDataLookalikes.Named.Any(n => c.Name.StartsWith(n.Name + " in the middle", StringComparison.Ordinal))).ToList();
        Assert.True(named.Count >= 15, $"{named.Count} named cases");
        foreach (var c in named)
        {
            await client.CommandAsync("MAIL FROM:<sender@example.com>");
            await client.CommandAsync("RCPT TO:<rcpt@example.net>");
            Assert.StartsWith("354", await client.CommandAsync("DATA"));
            // Two TCP writes, the look-alike's second byte starting the second one.
            await SendInTwoWritesAsync(client, c.Wire, c.LookalikeStart + 1);
            var reply = await client.ReadReplyAsync() ?? "(closed)";
            if (reply.StartsWith("250 2.0.0 Ok: queued as", StringComparison.Ordinal)) accepted++;
            else if (!Refusals.Any(r => reply.StartsWith(r, StringComparison.Ordinal))) failures.Add($"DATA {c}: answered {reply}");
            if (await client.CommandAsync("NOOP") != "250 2.0.0 Ok") failures.Add($"DATA {c}: out of sync");

            byte[] content = c.Wire[..^3];
            await client.CommandAsync("MAIL FROM:<sender@example.com>");
            await client.CommandAsync("RCPT TO:<rcpt@example.net>");
            await client.SendBytesAsync([.. Encoding.ASCII.GetBytes($"BDAT {content.Length} LAST\r\n"), .. content]);
            reply = await client.ReadReplyAsync() ?? "(closed)";
            if (reply.StartsWith("250 2.0.0 Ok: queued as", StringComparison.Ordinal)) accepted++;
            else if (!Refusals.Any(r => reply.StartsWith(r, StringComparison.Ordinal))) failures.Add($"BDAT {c}: answered {reply}");
            if (await client.CommandAsync("NOOP") != "250 2.0.0 Ok") failures.Add($"BDAT {c}: out of sync");
        }
        Assert.Equal(accepted, server.Spool.Accepted.Count);
        CheckStored(server.Spool.Accepted, failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
