using MtaCluster.Mail;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>RFC 3030 CHUNKING.</summary>
public class BdatTests
{
    [Fact]
    public async Task Chunks_are_joined_and_last_queues_the_message()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync(" BODY=8BITMIME");
        await h.Client.SendAsync("BDAT 14\r\nSubject: x\r\n\r\n");
        Assert.Equal("250 2.0.0 14 octets received", await h.Client.ReadReplyAsync());
        // The chunk boundary splits a CRLF: line endings are judged across chunks.
        await h.Client.SendBytesAsync([.. "BDAT 7\r\n"u8, 0xC3, 0xA9, (byte)'.', (byte)'.', 0xFF, (byte)'x', (byte)'\r']);
        Assert.Equal("250 2.0.0 7 octets received", await h.Client.ReadReplyAsync());
        await h.Client.SendBytesAsync([.. "BDAT 1 LAST\r\n"u8, (byte)'\n']);
        Assert.Equal("250 2.0.0 Ok: queued as Q000001", await h.Client.ReadReplyAsync());
        var m = h.Spool.Single();
        Assert.Equal(MessageBodyType.EightBitMime, m.BodyType);
        var content = m.Content.ToArray();
        Assert.Equal(new byte[] { 0xC3, 0xA9, (byte)'.', (byte)'.', 0xFF, (byte)'x', (byte)'\r', (byte)'\n' }, content[^8..]);
    }

    [Fact]
    public async Task Pipelined_chunks_get_one_flush()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        int before = h.Transport.FlushCount;
        await h.Client.SendAsync("BDAT 3\r\nabcBDAT 3\r\ndefBDAT 0 LAST\r\n");
        Assert.Equal("250 2.0.0 3 octets received", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 3 octets received", await h.Client.ReadReplyAsync());
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());
        Assert.Equal(1, h.Transport.FlushCount - before);
        Assert.EndsWith("abcdef", FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task Bdat_zero_last_on_its_own_queues_an_empty_body()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.CommandAsync("BDAT 0 LAST"));
        Assert.StartsWith("Received: ", FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task Short_chunk_then_disconnect_stores_nothing()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.SendAsync("BDAT 100 LAST\r\nonly twenty bytes...");
        await h.Transport.ClientOutput.CompleteAsync();
        Assert.True(await h.EndsWithinAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Bytes_past_the_declared_size_are_read_as_the_next_command()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        await h.Client.SendAsync("BDAT 5 LAST\r\nhello, and more\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await h.Client.ReadReplyAsync());
        Assert.Equal("500 5.5.1 Command unrecognized", await h.Client.ReadReplyAsync());
        Assert.EndsWith("\r\nhello", FakeSpool.Text(h.Spool.Single()));
    }

    [Fact]
    public async Task Bdat_out_of_sequence_is_503_and_its_chunk_is_still_consumed()
    {
        await using var h = SessionHarness.Start();
        await h.GreetAsync();
        await h.Client.SendAsync("BDAT 12 LAST\r\nQUIT\r\nQUIT\r\nNOOP\r\n");
        Assert.StartsWith("503 5.5.1", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.ReadReplyAsync());
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Chunks_over_the_size_limit_are_552_and_end_the_transaction()
    {
        await using var h = SessionHarness.Start(o => o.MaxMessageSize = 10);
        await h.OpenTransactionAsync();
        await h.Client.SendAsync("BDAT 8\r\n12345678");
        Assert.StartsWith("250 2.0.0 8 octets", await h.Client.ReadReplyAsync());
        await h.Client.SendAsync("BDAT 8 LAST\r\n12345678");
        Assert.StartsWith("552 5.3.4", await h.Client.ReadReplyAsync());
        await h.Client.SendAsync("BDAT 1 LAST\r\nx");
        Assert.StartsWith("503 5.5.1", await h.Client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Bad_bdat_size_is_501()
    {
        await using var h = SessionHarness.Start();
        await h.OpenTransactionAsync();
        Assert.StartsWith("501 5.5.4", await h.Client.CommandAsync("BDAT lots"));
    }
}
