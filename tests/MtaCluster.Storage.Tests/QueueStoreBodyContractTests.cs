using MtaCluster.Mail;
using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests;

/// <summary>
/// How bodies go in and come out: stored from the pieces the server holds them in, read for sending
/// in one snapshot into a buffer the caller gives back, read for a report through a stream that a
/// delete cannot tear, and never read to learn the envelope. Part of <see cref="QueueStoreContractTests"/>.
/// </summary>
public abstract partial class QueueStoreContractTests
{
    private static SpoolMessage InPieces(byte[] prefix, byte[] body, int segment) =>
        new(QueueId.New(), "sender@example.org", [Rcpt("a@x.test")], new MessageContent(prefix, SegmentedSequence.Chunked(body, segment)), T0);

    [Fact]
    public async Task A_body_given_as_a_prefix_and_segments_is_stored_as_their_concatenation()
    {
        var store = await OpenStoreAsync();
        var prefix = "Received: from client by us\r\n"u8.ToArray();
        var body = Body(300_000, 7);
        var message = InPieces(prefix, body, 16 * 1024);
        Assert.False(message.Content.Body.IsSingleSegment);

        await store.EnqueueAsync(message);

        byte[] whole = [.. prefix, .. body];
        var stored = await store.GetMessageAsync(message.Id);
        Assert.NotNull(stored);
        Assert.Equal(whole.Length, stored.Body.Length);
        Assert.Equal(whole, await stored.Body.ReadAllBytesAsync());
        using var loaded = await store.LoadMessageAsync(message.Id);
        Assert.NotNull(loaded);
        Assert.Equal(whole, loaded.Content.ToArray());
    }

    [Fact]
    public async Task An_empty_body_and_a_prefix_alone_are_stored_as_they_are()
    {
        var store = await OpenStoreAsync();
        var empty = new SpoolMessage(QueueId.New(), "", [Rcpt("a@x.test")], Array.Empty<byte>(), T0);
        var prefixOnly = new SpoolMessage(QueueId.New(), "", [Rcpt("a@x.test")], new MessageContent("Subject: x\r\n\r\n"u8.ToArray(), default), T0);

        await store.EnqueueAsync(empty);
        await store.EnqueueAsync(prefixOnly);

        using (var loaded = await store.LoadMessageAsync(empty.Id))
            Assert.Equal(0, loaded!.Content.Length);
        using (var loaded = await store.LoadMessageAsync(prefixOnly.Id))
            Assert.Equal("Subject: x\r\n\r\n"u8.ToArray(), loaded!.Content.ToArray());
    }

    [Fact]
    public async Task A_loaded_message_carries_the_envelope_and_gives_its_buffer_back_once()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@x.test")) with { EnvelopeId = "env-1", DsnReturn = DsnReturn.Full, ClientAddress = "192.0.2.1" };
        await store.EnqueueAsync(message);

        var loaded = await store.LoadMessageAsync(message.Id);

        Assert.NotNull(loaded);
        Assert.Equal(message.Id, loaded.Message.Id);
        Assert.Equal("sender@example.org", loaded.Message.ReversePath);
        Assert.Equal("env-1", loaded.Message.EnvelopeId);
        Assert.Equal(DsnReturn.Full, loaded.Message.DsnReturn);
        Assert.Equal("192.0.2.1", loaded.Message.ClientAddress);
        Assert.Equal(message.Content.ToArray(), loaded.Content.ToArray());
        loaded.Dispose();
        Assert.True(loaded.Content.IsEmpty, "the content must not be reachable once its buffer is back in the pool");
        loaded.Dispose();
        Assert.Null(await store.LoadMessageAsync(QueueId.New()));
    }

    [Fact]
    public async Task Reading_the_envelope_leaves_the_body_in_the_spool_until_it_is_asked_for()
    {
        var store = await OpenStoreAsync();
        var message = Message(T0, Rcpt("a@x.test"));
        await store.EnqueueAsync(message);

        var envelope = await store.GetMessageAsync(message.Id);
        Assert.NotNull(envelope);
        Assert.Equal(message.Content.Length, envelope.Body.Length);
        await store.DeleteMessageAsync(message.Id);

        // Had the envelope read carried the body, it would still be here.
        Assert.Null(await envelope.Body.OpenReadAsync());
        Assert.Null(await envelope.Body.ReadAllBytesAsync());
        Assert.Null(await store.LoadMessageAsync(message.Id));
    }

    [Fact]
    public async Task A_body_stream_opened_before_the_message_is_deleted_reads_the_whole_body()
    {
        var store = await OpenStoreAsync();
        var body = Body(1_000_000, 3);
        var message = new SpoolMessage(QueueId.New(), "sender@example.org", [Rcpt("a@x.test")], body, T0);
        await store.EnqueueAsync(message);
        var envelope = await store.GetMessageAsync(message.Id);

        var stream = await envelope!.Body.OpenReadAsync();
        Assert.NotNull(stream);
        await using (stream)
        {
            var read = new byte[body.Length];
            await stream.ReadExactlyAsync(read.AsMemory(0, 1000));
            await store.DeleteMessageAsync(message.Id);
            // Space freed by the delete is reused by the next message; the open read must not see it.
            await store.EnqueueAsync(new SpoolMessage(QueueId.New(), "", [Rcpt("b@x.test")], Body(1_000_000, 4), T0));
            await stream.ReadExactlyAsync(read.AsMemory(1000));
            Assert.Equal(0, await stream.ReadAsync(new byte[1]));
            Assert.Equal(body, read);
        }

        Assert.Null(await store.GetMessageAsync(message.Id));
        Assert.Null(await envelope.Body.OpenReadAsync());
    }
}
