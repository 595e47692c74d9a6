using MtaCluster.Smtp.Protocol;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Smtp.Tests.Server;

public class SmtpStateTableTests
{
    [Theory]
    [InlineData(SmtpSessionState.Connected, SmtpCommandKind.Mail, false)]
    [InlineData(SmtpSessionState.Greeted, SmtpCommandKind.Mail, true)]
    [InlineData(SmtpSessionState.MailFrom, SmtpCommandKind.Mail, false)]
    [InlineData(SmtpSessionState.Greeted, SmtpCommandKind.Rcpt, false)]
    [InlineData(SmtpSessionState.MailFrom, SmtpCommandKind.Data, false)]
    [InlineData(SmtpSessionState.RcptTo, SmtpCommandKind.Data, true)]
    [InlineData(SmtpSessionState.Bdat, SmtpCommandKind.Data, false)]
    [InlineData(SmtpSessionState.Bdat, SmtpCommandKind.Bdat, true)]
    [InlineData(SmtpSessionState.MailFrom, SmtpCommandKind.StartTls, false)]
    [InlineData(SmtpSessionState.Connected, SmtpCommandKind.Auth, false)]
    [InlineData(SmtpSessionState.RcptTo, SmtpCommandKind.Ehlo, true)]
    [InlineData(SmtpSessionState.Bdat, SmtpCommandKind.Rset, true)]
    public void Legal_transitions(SmtpSessionState state, SmtpCommandKind command, bool legal)
    {
        Assert.Equal(legal, SmtpStateTable.TryGetNext(state, command, out _));
    }

    [Fact]
    public void Rset_returns_to_greeted_and_ehlo_resets()
    {
        SmtpStateTable.TryGetNext(SmtpSessionState.RcptTo, SmtpCommandKind.Rset, out var afterRset);
        Assert.Equal(SmtpSessionState.Greeted, afterRset);
        SmtpStateTable.TryGetNext(SmtpSessionState.Bdat, SmtpCommandKind.Ehlo, out var afterEhlo);
        Assert.Equal(SmtpSessionState.Greeted, afterEhlo);
    }
}
