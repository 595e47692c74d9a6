using System.Text;
using MtaCluster.Smtp.Protocol;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Tests.Protocol;

public class MessageHeaderScannerTests
{
    public static TheoryData<string, bool, bool> Messages => new()
    {
        { "Subject: x\r\n\r\nbody", false, false },
        { "message-id: <a@b>\r\nDATE: now\r\n\r\nbody", true, true },
        { "Subject: x\r\n folded Date: no\r\n\r\nDate: in body\r\n", false, false },
        { "Date : obsolete spacing\r\n\r\n", false, true },
        { "no header here\r\nDate: x\r\n", false, false },
        { "X-A-Field-Name-Longer-Than-Thirty-Two-Octets: y\r\nDate: x\r\n\r\n", false, true },
        { "A line longer than thirty-two octets without any colon\r\nDate: x\r\n", false, false },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Finds_only_header_fields(string message, bool messageId, bool date)
    {
        Assert.Equal((messageId, date), MessageHeaderScanner.Scan(Encoding.ASCII.GetBytes(message)));
    }

    /// <summary>The session's body arrives in pooled segments: every cut gives the answer of the whole.</summary>
    [Theory]
    [MemberData(nameof(Messages))]
    public void Finds_the_same_fields_wherever_the_segments_split(string message, bool messageId, bool date)
    {
        var bytes = Encoding.ASCII.GetBytes(message);
        for (int cut = 1; cut < bytes.Length; cut++)
        {
            var split = SegmentedSequence.Of(bytes.AsMemory(0, cut), bytes.AsMemory(cut));
            Assert.False(split.IsSingleSegment);
            Assert.Equal((messageId, date), MessageHeaderScanner.Scan(split));
        }
    }
}
