using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests;

public class HeaderParserTests
{
    private static HeaderList Parse(string text, out long consumed) =>
        HeaderParser.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)), HeaderParser.DefaultMaxHeaderBytes, out consumed);

    [Fact]
    public void Folded_fields_unfold_and_the_raw_bytes_stay_as_they_came()
    {
        const string header = "Subject: a long\r\n\tsubject line\r\nTo: a@example.test,\r\n  b@example.test\r\n\r\n";
        HeaderList headers = Parse(header + "body\r\n", out long consumed);

        Assert.Equal(header.Length, consumed);
        Assert.Equal(2, headers.Count);
        Assert.Equal("a long\tsubject line", headers["subject"]);
        Assert.Equal("a@example.test,  b@example.test", headers["TO"]);
        Assert.Equal("Subject: a long\r\n\tsubject line\r\n", Encoding.ASCII.GetString(headers[0].RawField));
        Assert.Equal(" a long\r\n\tsubject line\r\n", Encoding.ASCII.GetString(headers[0].RawValue));
    }

    [Fact]
    public void Obsolete_syntax_is_tolerated_lf_line_ends_no_space_after_colon_space_before_it()
    {
        HeaderList headers = Parse("Subject:tight\nX-Old  : spaced\nX-Fold: one\n \n two\n\nbody", out long consumed);

        Assert.Equal("tight", headers["Subject"]);
        Assert.Equal("spaced", headers["X-Old"]);
        Assert.Equal("X-Old", headers[1].Field);
        // obs-FWS (RFC 5322 §4.2): a continuation line of only whitespace.
        Assert.Equal("one  two", headers["X-Fold"]);
        Assert.Equal("Subject:tight\nX-Old  : spaced\nX-Fold: one\n \n two\n\n".Length, consumed);
    }

    [Fact]
    public void Duplicates_are_kept_in_order_and_lookup_returns_the_first()
    {
        HeaderList headers = Parse("Received: from a\r\nReceived: from b\r\nreceived: from c\r\n\r\n", out _);

        Assert.Equal(["from a", "from b", "from c"], headers.GetAll("RECEIVED").Select(h => h.Value));
        Assert.Equal("from a", headers["Received"]);
    }

    [Fact]
    public void Eight_bit_octets_are_kept_raw_and_read_as_utf8_or_else_latin1()
    {
        byte[] raw = [.. "Subject: "u8, .. "中文"u8, .. "\r\nX-Latin: caf"u8, 0xE9, .. "\r\n\r\n"u8];
        HeaderList headers = HeaderList.Parse(new ReadOnlySequence<byte>(raw));

        Assert.Equal("中文", headers["Subject"]);
        Assert.Equal("café", headers["X-Latin"]);
        Assert.Equal(0xE9, headers[1].RawField[^3]);
    }

    [Fact]
    public void A_line_that_is_not_a_field_ends_the_header_unread()
    {
        HeaderList headers = Parse("Subject: x\r\nthis is body text\r\nNot: a header\r\n", out long consumed);

        Assert.Single(headers);
        Assert.Equal("Subject: x\r\n".Length, consumed);
    }

    [Fact]
    public void A_header_past_the_cap_is_refused_with_a_typed_exception()
    {
        string big = "X-Big: " + new string('a', 2000) + "\r\n\r\n";
        Assert.Throws<MimeFormatException>(() =>
            HeaderParser.Parse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(big)), 1000, out _));
    }

    [Fact]
    public async Task A_35_MB_message_read_through_a_pipe_leaves_the_whole_body_in_the_pipe()
    {
        const string header = "From: a@example.test\r\nSubject: big\r\n\r\n";
        const int bodyLength = 35 * 1024 * 1024;
        var stream = new CountingStream(new GeneratedMessageStream(Encoding.ASCII.GetBytes(header), bodyLength));
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, leaveOpen: true));

        HeaderList headers = await HeaderList.LoadAsync(reader);

        Assert.Equal("big", headers["Subject"]);
        // The parser pulled at most a few pipe buffers, not the message.
        Assert.InRange(stream.BytesRead, header.Length, 64 * 1024);
        long rest = 0;
        while (true)
        {
            ReadResult result = await reader.ReadAsync();
            rest += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal(bodyLength, rest);
        await reader.CompleteAsync();
    }

    [Fact]
    public async Task A_35_MB_seekable_stream_is_left_at_the_first_body_octet()
    {
        const string header = "Subject: big\r\nTo: b@example.test\r\n\r\n";
        var stream = new CountingStream(new GeneratedMessageStream(Encoding.ASCII.GetBytes(header), 35 * 1024 * 1024));

        HeaderList headers = await HeaderList.LoadAsync(stream);

        Assert.Equal(2, headers.Count);
        Assert.Equal(header.Length, stream.Position);
        Assert.InRange(stream.BytesRead, header.Length, 64 * 1024);
    }

    [Fact]
    public async Task A_field_split_across_pipe_segments_is_read_whole()
    {
        var pipe = new Pipe();
        Task<HeaderList> load = HeaderList.LoadAsync(pipe.Reader).AsTask();
        foreach (string piece in new[] { "Subj", "ect: par", "ts\r", "\n con", "tinued\r\n", "\r", "\nbody" })
        {
            await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(piece));
        }

        HeaderList headers = await load.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("parts continued", headers["Subject"]);
    }

    [Fact]
    public void Parsing_random_bytes_never_throws_and_never_takes_more_than_it_was_given()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            HeaderList headers = HeaderParser.Parse(new ReadOnlySequence<byte>(bytes), int.MaxValue, out long consumed);
            _ = headers.Select(h => h.Value).ToList();
            return consumed <= bytes.Length && headers.Sum(h => (long)h.RawField.Length) <= consumed;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task Raw_fields_written_back_reproduce_the_header_byte_for_byte()
    {
        const string header = "Received: from x\r\n\tby y\r\nSubject:=?utf-8?B?5Lit5paH?=\r\nX-A  : b\r\n";
        HeaderList headers = Parse(header + "\r\n", out _);
        var output = new MemoryStream();
        await headers.WriteToAsync(output);
        Assert.Equal(header, Encoding.ASCII.GetString(output.ToArray()));
    }
}
