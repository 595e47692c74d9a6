using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Connection;
using MtaCluster.Smtp.Client.Transactions;

namespace MtaCluster.Smtp.Client.Tests.Connection;

public class RecipientLedgerTests
{
    private static readonly SmtpReply Ok = new(250, new EnhancedStatusCode(2, 1, 5), "Ok");
    private static readonly SmtpReply Queued = new(250, new EnhancedStatusCode(2, 0, 0), "queued");

    private static RecipientLedger Ledger(params string[] addresses) => new(addresses.Select(a => new TransactionRecipient(a)).ToArray());

    [Fact]
    public void Admit_refuses_unsafe_addresses_and_postpones_those_beyond_the_limit()
    {
        RecipientLedger ledger = Ledger("a@x.test", "b\r\n@x.test", "c@x.test", "d@x.test");

        Assert.Equal(2, ledger.Admit(limit: 2));
        Assert.True(ledger.IsOpen(0));
        Assert.Equal(RecipientStatus.PermanentFailure, ledger.Results[1].Status);
        Assert.Equal("5.1.3", ledger.Results[1].Reply.EnhancedCode?.ToString());
        Assert.True(ledger.IsOpen(2));
        Assert.True(ledger.IsPostponed(3));
    }

    [Fact]
    public void Accepted_recipients_wait_for_the_reply_after_the_data_and_keep_their_rcpt_reply()
    {
        RecipientLedger ledger = Ledger("a@x.test", "b@x.test");
        ledger.Admit(10);
        Assert.True(ledger.OnRcptReply(0, Ok, acceptedSoFar: 0));
        Assert.False(ledger.OnRcptReply(1, new SmtpReply(550, new EnhancedStatusCode(5, 1, 1), "unknown"), acceptedSoFar: 1));

        ledger.DecideAccepted(Queued);

        Assert.Equal(RecipientStatus.Delivered, ledger.Results[0].Status);
        Assert.Same(Queued, ledger.Results[0].Reply);
        Assert.Same(Ok, ledger.Results[0].RcptReply);
        Assert.Equal(RecipientStatus.PermanentFailure, ledger.Results[1].Status);
    }

    [Theory]
    [InlineData(452, 4, 5, 3, 1, RecipientStatus.TryAgain)]
    [InlineData(552, 5, 5, 3, 1, RecipientStatus.TryAgain)]
    [InlineData(452, 4, 5, 3, 0, RecipientStatus.TransientFailure)]
    [InlineData(452, 4, 3, 1, 1, RecipientStatus.TransientFailure)]
    [InlineData(550, 5, 1, 1, 1, RecipientStatus.PermanentFailure)]
    public void Too_many_recipients_means_later_only_after_someone_got_through(int code, int c, int s, int d, int acceptedSoFar, RecipientStatus expected)
    {
        RecipientLedger ledger = Ledger("a@x.test");
        ledger.Admit(10);
        ledger.OnRcptReply(0, new SmtpReply(code, new EnhancedStatusCode(c, s, d), "no"), acceptedSoFar);
        Assert.Equal(expected, ledger.Results[0].Status);
    }

    [Fact]
    public void A_refused_mail_decides_the_open_and_the_held_but_not_the_already_refused()
    {
        RecipientLedger ledger = Ledger("a@x.test", "b\r@x.test", "c@x.test");
        ledger.Admit(10);
        ledger.HoldForMailReply(0, Ok);
        var refused = new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), "try later");

        ledger.DecideByMailReply(refused);

        Assert.Equal(RecipientStatus.TransientFailure, ledger.Results[0].Status);
        Assert.Same(refused, ledger.Results[0].Reply);
        Assert.Same(Ok, ledger.Results[0].RcptReply);
        Assert.Equal("5.1.3", ledger.Results[1].Reply.EnhancedCode?.ToString());
        Assert.Same(refused, ledger.Results[2].Reply);
    }

    [Fact]
    public void A_failed_connection_decides_the_accepted_and_the_open_only()
    {
        RecipientLedger ledger = Ledger("a@x.test", "b@x.test", "c@x.test");
        ledger.Admit(10);
        ledger.OnRcptReply(0, Ok, 0);
        ledger.OnRcptReply(1, new SmtpReply(550, null, "no"), 1);
        SmtpReply dropped = SmtpReply.Local(421, new EnhancedStatusCode(4, 4, 2), "lost connection");

        ledger.DecideOpen(RecipientStatus.TransientFailure, dropped);

        Assert.Equal([RecipientStatus.TransientFailure, RecipientStatus.PermanentFailure, RecipientStatus.TransientFailure], ledger.Results.Select(r => r.Status));
        Assert.Same(dropped, ledger.Results[0].Reply);
        Assert.Same(Ok, ledger.Results[0].RcptReply);
        Assert.Null(ledger.Results[2].RcptReply);
    }
}
