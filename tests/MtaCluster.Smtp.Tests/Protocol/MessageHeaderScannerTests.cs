using System.Text;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Tests.Protocol;

public class MessageHeaderScannerTests
{
    [Theory]
    [InlineData("Subject: x\r\n\r\nbody", false, false)]
    [InlineData("message-id: <a@b>\r\nDATE: now\r\n\r\nbody", true, true)]
    [InlineData("Subject: x\r\n folded Date: no\r\n\r\nDate: in body\r\n", false, false)]
    [InlineData("Date : obsolete spacing\r\n\r\n", false, true)]
    [InlineData("no header here\r\nDate: x\r\n", false, false)]
    public void Finds_only_header_fields(string message, bool messageId, bool date)
    {
        Assert.Equal((messageId, date), MessageHeaderScanner.Scan(Encoding.ASCII.GetBytes(message)));
    }
}
