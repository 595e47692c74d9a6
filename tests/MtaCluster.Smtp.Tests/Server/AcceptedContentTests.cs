using System.Buffers;
using System.Text;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>
/// What the spool is handed at the end of DATA: the server's own fields as a small prefix, and the
/// client's body in the pooled segments it arrived in, never gathered into one array.
/// </summary>
public class AcceptedContentTests
{
    private const int BodyLines = 40_000;

    private static string BigBody()
    {
        var body = new StringBuilder("Subject: big\r\n\r\n");
        for (int i = 0; i < BodyLines; i++) body.Append("line ").Append(i).Append(" of a body spread over many pooled segments\r\n");
        return body.ToString();
    }

    [Theory]
    [InlineData(SmtpListenerKind.Relay)]
    [InlineData(SmtpListenerKind.Submission)]
    public async Task A_large_body_reaches_the_spool_in_its_segments_behind_a_small_prefix(SmtpListenerKind kind)
    {
        await using var h = SessionHarness.Start(kind: kind, requireAuth: false);
        (int Prefix, bool SingleSegment, long Body, string Text)? seen = null;
        h.Spool.Inspect = m => seen = (m.Content.Prefix.Length, m.Content.Body.IsSingleSegment, m.Content.Body.Length, Encoding.ASCII.GetString(m.Content.ToArray()));
        var body = BigBody();

        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync(body + ".\r\n");
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());

        Assert.NotNull(seen);
        var (prefix, single, bodyLength, text) = seen.Value;
        Assert.False(single, "the body was gathered into one buffer");
        Assert.Equal(body.Length, bodyLength);
        Assert.InRange(prefix, 1, 1024);
        Assert.StartsWith("Received: from client.test", text);
        Assert.EndsWith(body, text);
        // Submission adds what is missing (RFC 6409 §8) to the prefix, never into the body.
        Assert.Equal(kind == SmtpListenerKind.Submission, text[..prefix].Contains("\r\nMessage-ID: <Q000001@mx.test>\r\nDate: "));
        Assert.Equal(text, FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task A_body_split_in_bdat_chunks_reaches_the_spool_whole()
    {
        await using var h = SessionHarness.Start();
        var body = Encoding.ASCII.GetBytes(BigBody());
        await h.OpenTransactionAsync();
        int half = body.Length / 2;
        await h.Client.SendBytesAsync([.. Encoding.ASCII.GetBytes($"BDAT {half}\r\n"), .. body.AsSpan(0, half)]);
        Assert.StartsWith("250 2.0.0", await h.Client.ReadReplyAsync());
        await h.Client.SendBytesAsync([.. Encoding.ASCII.GetBytes($"BDAT {body.Length - half} LAST\r\n"), .. body.AsSpan(half)]);
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());

        var m = h.Spool.Single();
        Assert.Equal(body, m.Content.ToArray()[^body.Length..]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16 * 1024)]
    [InlineData(16 * 1024 + 1)]
    [InlineData(3 * 1024 * 1024 + 17)]
    public void A_message_buffer_seen_as_a_sequence_is_what_was_written(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        using var buffer = new MessageBuffer();
        // Written in uneven pieces, as a socket hands them over.
        for (int at = 0; at < length; at += 7000) buffer.Write(data.AsSpan(at, Math.Min(7000, length - at)));

        var sequence = buffer.AsSequence();

        Assert.Equal(length, sequence.Length);
        Assert.Equal(data, sequence.ToArray());
        Assert.Equal(length > 16 * 1024, !sequence.IsSingleSegment);
    }
}
