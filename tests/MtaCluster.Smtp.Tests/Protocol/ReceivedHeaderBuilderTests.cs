using System.Text;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Tests.Protocol;

public class ReceivedHeaderBuilderTests
{
    [Theory]
    [InlineData(false, false, false, false, "SMTP")]
    [InlineData(false, true, true, true, "SMTP")]
    [InlineData(true, false, false, false, "ESMTP")]
    [InlineData(true, false, true, false, "ESMTPS")]
    [InlineData(true, false, false, true, "ESMTPA")]
    [InlineData(true, false, true, true, "ESMTPSA")]
    [InlineData(true, true, false, false, "UTF8SMTP")]
    [InlineData(true, true, true, false, "UTF8SMTPS")]
    [InlineData(true, true, false, true, "UTF8SMTPA")]
    [InlineData(true, true, true, true, "UTF8SMTPSA")]
    public void Protocol_names_follow_rfc_3848_and_rfc_6531(bool extended, bool smtpUtf8, bool secure, bool authenticated, string expected)
    {
        Assert.Equal(expected, ReceivedHeaderBuilder.ProtocolName(extended, smtpUtf8, secure, authenticated));
    }

    [Fact]
    public void One_recipient_is_named_and_tls_is_described()
    {
        var header = Encoding.UTF8.GetString(ReceivedHeaderBuilder.Build(
            "client.test", "[192.0.2.1]", "TLSv1.3 with cipher X", "mx.test", "ESMTPS", "Q1", "a@example.net",
            "Mon, 01 Jan 2024 00:00:00 +0000"));
        Assert.Equal(
            "Received: from client.test ([192.0.2.1])\r\n\t(using TLSv1.3 with cipher X)\r\n\tby mx.test (MtaCluster) with ESMTPS id Q1" +
            "\r\n\tfor <a@example.net>; Mon, 01 Jan 2024 00:00:00 +0000\r\n", header);
    }

    [Fact]
    public void Without_a_single_recipient_or_tls_those_clauses_are_left_out()
    {
        var header = Encoding.UTF8.GetString(ReceivedHeaderBuilder.Build(
            "client.test", "[IPv6:::1]", null, "mx.test", "ESMTP", "Q2", null, "Mon, 01 Jan 2024 00:00:00 +0000"));
        Assert.Equal("Received: from client.test ([IPv6:::1])\r\n\tby mx.test (MtaCluster) with ESMTP id Q2; Mon, 01 Jan 2024 00:00:00 +0000\r\n", header);
    }
}
