using System.Buffers;
using MtaCluster.Smtp.Tests.Protocol;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>Bytes as a multi-segment sequence, the way a pipe hands over data that came in several reads.</summary>
public static class ByteSegments
{
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        SmtpCommandParserTests.Segment? first = null, last = null;
        int from = 0;
        foreach (int to in cuts.Append(bytes.Length))
        {
            var segment = new SmtpCommandParserTests.Segment(bytes.AsMemory(from, to - from));
            if (first is null) first = last = segment;
            else last = last!.Append(segment);
            from = to;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }
}
