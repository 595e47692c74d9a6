using System.Buffers;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Protocol;

/// <summary>
/// Every end-of-data look-alike (<see cref="EndOfDataLookalikes"/>) through the DATA and BDAT readers, whole,
/// split into two pipe segments at every offset, and a byte per read: DATA ends only at the real
/// &lt;CRLF&gt;.&lt;CRLF&gt;, and whatever is accepted is safe to relay (<see cref="LenientReceivers"/>).
/// </summary>
public class EndOfDataLookalikeReaderTests
{
    private sealed record Outcome(bool Ended, long Consumed, EncodedReply? Error, byte[] Body)
    {
        public string Describe() => $"ended={Ended} consumed={Consumed} error={Error} body={Convert.ToHexString(Body)}";
    }

    private static Outcome ReadData(byte[] wire, bool stripNul, int[] cuts, bool bytePerRead = false)
    {
        var reader = new DataBodyReader();
        using var sink = new MessageBuffer();
        reader.Start(sink, 1_000_000, 1000, stripNul);
        if (bytePerRead)
        {
            for (int i = 0; i < wire.Length; i++)
            {
                var one = new ReadOnlySequence<byte>(wire, i, 1);
                if (reader.TryRead(ref one)) return new(true, i + 1 - one.Length, reader.ErrorReply, sink.ToArray());
            }
            return new(false, wire.Length, reader.ErrorReply, sink.ToArray());
        }
        var sequence = ByteSegments.Split(wire, cuts);
        bool ended = reader.TryRead(ref sequence);
        return new(ended, wire.Length - sequence.Length, reader.ErrorReply, sink.ToArray());
    }

    private static Outcome ReadBdat(byte[] content, bool stripNul, int[] chunkCuts, int[] segmentCuts)
    {
        var reader = new BdatChunkReader(stripNul);
        using var sink = new MessageBuffer();
        int from = 0;
        long consumed = 0;
        int[] ends = [.. chunkCuts, content.Length];
        for (int c = 0; c < ends.Length; c++)
        {
            var chunk = content[from..ends[c]];
            reader.Begin(chunk.Length, c == ends.Length - 1, sink, error: null);
            int[] inside = segmentCuts.Where(s => s > from && s < ends[c]).Select(s => s - from).ToArray();
            var sequence = chunk.Length == 0 ? ReadOnlySequence<byte>.Empty : ByteSegments.Split(chunk, inside);
            Assert.True(reader.TryRead(ref sequence));
            consumed += chunk.Length - sequence.Length;
            from = ends[c];
        }
        return new(true, consumed, reader.CompleteMessage(), sink.ToArray());
    }

    /// <summary>Refused with the smuggling replies, or accepted with content that no receiver ends early.</summary>
    private static string? Judge(Outcome outcome, bool stripNul)
    {
        if (outcome.Error is { } error)
        {
            if (error == SmtpReplies.BareLineEndingInData || !stripNul && error == SmtpReplies.NulInData) return null;
            return "refused with an unexpected reply " + error;
        }
        var problems = LenientReceivers.Problems(outcome.Body);
        return problems.Count == 0 ? null : "accepted, but " + string.Join("; ", problems);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Data_ends_only_at_the_real_terminator_whatever_the_look_alike_and_the_split(bool stripNul)
    {
        var cases = EndOfDataLookalikes.Cases(data: true);
        Assert.True(cases.Count >= 400, $"only {cases.Count} cases");
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var whole = ReadData(c.Wire, stripNul, []);
            if (!whole.Ended || whole.Consumed != c.Wire.Length) failures.Add($"{c}: DATA ended early or never: {whole.Describe()}");
            if (Judge(whole, stripNul) is { } verdict) failures.Add($"{c}: {verdict}");
            for (int cut = 1; cut < c.Wire.Length; cut++)
            {
                var split = ReadData(c.Wire, stripNul, [cut]);
                if (split != whole && split.Describe() != whole.Describe()) failures.Add($"{c}, split at {cut}: {split.Describe()} instead of {whole.Describe()}");
            }
            var bytewise = ReadData(c.Wire, stripNul, [], bytePerRead: true);
            if (bytewise.Describe() != whole.Describe()) failures.Add($"{c}, a byte per read: {bytewise.Describe()} instead of {whole.Describe()}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(40)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bdat_content_with_a_look_alike_is_refused_or_made_safe_at_every_chunk_and_segment_split(bool stripNul)
    {
        var cases = EndOfDataLookalikes.Cases(data: false);
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var whole = ReadBdat(c.Wire, stripNul, [], []);
            if (whole.Consumed != c.Wire.Length) failures.Add($"{c}: read {whole.Consumed} of {c.Wire.Length} octets");
            if (Judge(whole, stripNul) is { } verdict) failures.Add($"{c}: {verdict}");
            // Cuts around the look-alike, where a CR, a NUL or a dot may be split from its neighbours.
            for (int cut = Math.Max(1, c.LookalikeStart - 1); cut <= Math.Min(c.Wire.Length - 1, c.LookalikeStart + c.LookalikeLength + 1); cut++)
            {
                var chunked = ReadBdat(c.Wire, stripNul, [cut], []);
                if (chunked.Describe() != whole.Describe()) failures.Add($"{c}, chunks split at {cut}: {chunked.Describe()} instead of {whole.Describe()}");
                var segmented = ReadBdat(c.Wire, stripNul, [], [cut]);
                if (segmented.Describe() != whole.Describe()) failures.Add($"{c}, segments split at {cut}: {segmented.Describe()} instead of {whole.Describe()}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(40)));
    }

    [Fact]
    public void Nul_is_refused_with_550_5_6_0_after_the_whole_body_is_read()
    {
        byte[] wire = [.. "Subject: x\r\n\r\nbefore"u8, 0, .. "after\r\n.\r\nNOOP\r\n"u8];
        var outcome = ReadData(wire, stripNul: false, []);
        Assert.True(outcome.Ended);
        Assert.Equal(wire.Length - "NOOP\r\n".Length, outcome.Consumed);
        Assert.Same(SmtpReplies.NulInData, outcome.Error);
        Assert.Equal("550 5.6.0 Message contains NUL characters, which RFC 5322 does not allow", SmtpReplies.NulInData.ToString());
    }

    [Fact]
    public void Stripping_a_nul_at_a_line_start_leaves_the_dot_as_text_not_a_terminator()
    {
        byte[] wire = [.. "a\r\n"u8, 0, .. ".\r\nMAIL FROM:<x@y>\r\n.\r\n"u8];
        var outcome = ReadData(wire, stripNul: true, []);
        Assert.True(outcome.Ended);
        Assert.Equal(wire.Length, outcome.Consumed);
        Assert.Null(outcome.Error);
        // Stored unstuffed: the line is "." and a relaying client sends it as "..".
        Assert.Equal("a\r\n.\r\nMAIL FROM:<x@y>\r\n"u8.ToArray(), outcome.Body);
        Assert.Equal("a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n"u8.ToArray(), LenientReceivers.Transmission(outcome.Body));
    }

    [Fact]
    public void Bdat_nul_is_refused_at_the_last_chunk_or_stripped()
    {
        byte[] content = [.. "Subject: x\r\n\r\na"u8, 0, .. "b\r\n"u8];
        Assert.Same(SmtpReplies.NulInData, ReadBdat(content, stripNul: false, [], []).Error);
        var stripped = ReadBdat(content, stripNul: true, [16], []);
        Assert.Null(stripped.Error);
        Assert.Equal("Subject: x\r\n\r\nab\r\n"u8.ToArray(), stripped.Body);
    }

    [Fact]
    public void The_lenient_model_catches_what_it_is_there_for()
    {
        // The checks themselves must be able to fail: content a strict relay would pass on, a lenient receiver misreads.
        Assert.Contains(LenientReceivers.Problems("a\n.\nb\r\n"u8), p => p.Contains("LineFeed"));
        Assert.Contains(LenientReceivers.Problems("a\r.\rb\r\n"u8), p => p.Contains("CrOrLf"));
        Assert.Contains(LenientReceivers.Problems([.. "a\r\n"u8, 0, .. ".\r\nb\r\n"u8]), p => p.Contains("drops NUL"));
        Assert.Empty(LenientReceivers.Problems("a\r\n.\r\n..\r\nb\r\n"u8));
    }
}
