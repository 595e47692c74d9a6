using MtaCluster.Smtp.Server;
using MtaCluster.Smtp.Tests.TestSupport;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>RFC 5321 §4.5.3.2 timeouts, shortened to about a second.</summary>
public class TimeoutTests
{
    private static void Fast(SmtpServerOptions o)
    {
        var t = TimeSpan.FromSeconds(1);
        o.InitialTimeout = o.MailTimeout = o.RcptTimeout = o.DataInitiationTimeout = o.DataBlockTimeout = o.ServerIdleTimeout = t;
    }

    [Fact]
    public async Task Silent_client_after_the_greeting_gets_421_4_4_2()
    {
        await using var h = SessionHarness.Start(Fast);
        await h.Client.ReadReplyAsync();
        Assert.Equal("421 4.4.2 Timeout exceeded, closing connection", await h.Client.ReadReplyAsync(TimeSpan.FromSeconds(5)));
        Assert.True(await h.Client.IsClosedAsync());
        Assert.True(await h.EndsWithinAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Client_stalling_in_the_middle_of_data_gets_421_and_nothing_is_kept()
    {
        await using var h = SessionHarness.Start(Fast);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("Subject: slow\r\n\r\nsome");
        Assert.StartsWith("421 4.4.2", await h.Client.ReadReplyAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Client_stalling_in_a_chunk_gets_421()
    {
        await using var h = SessionHarness.Start(Fast);
        await h.OpenTransactionAsync();
        await h.Client.SendAsync("BDAT 100 LAST\r\nabc");
        Assert.StartsWith("421 4.4.2", await h.Client.ReadReplyAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(h.Spool.Accepted);
    }

    [Fact]
    public async Task Activity_resets_the_timer()
    {
        // Each pause is a third of the timeout, so a slow machine has two thirds of it as slack; the pauses
        // together outlast the timeout, which only a timer that restarts on every command survives.
        var timeout = TimeSpan.FromSeconds(3);
        await using var h = SessionHarness.Start(o => o.MailTimeout = o.RcptTimeout = o.ServerIdleTimeout = timeout);
        await h.GreetAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < timeout + TimeSpan.FromSeconds(1))
        {
            await Task.Delay(timeout / 3);
            Assert.Equal("250 2.0.0 Ok", await h.Client.CommandAsync("NOOP"));
        }
    }

    [Fact]
    public async Task Spool_commit_past_the_data_termination_timeout_is_451()
    {
        await using var h = SessionHarness.Start(o => o.DataTerminationTimeout = TimeSpan.FromMilliseconds(300));
        h.Spool.CommitDelay = TimeSpan.FromSeconds(5);
        await h.OpenTransactionAsync();
        await h.Client.CommandAsync("DATA");
        await h.Client.SendAsync("x\r\n.\r\n");
        Assert.StartsWith("451 4.3.0", await h.Client.ReadReplyAsync());
        Assert.Empty(h.Spool.Accepted);
    }
}
