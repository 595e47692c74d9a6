using MtaCluster.Smtp.Server;
using MtaCluster.Testing;

namespace MtaCluster.Smtp.Tests.Server;

/// <summary>The per-kind token bucket that keeps a flood of refusals out of the log.</summary>
public class RefusalLogLimiterTests
{
    [Fact]
    public void A_burst_gets_the_limit_then_nothing_until_tokens_come_back()
    {
        var time = new ManualTimeProvider();
        var limiter = new RefusalLogLimiter(5, time);
        int allowed = 0;
        for (int i = 0; i < 1000; i++)
        {
            if (limiter.TryAcquire(RefusalKind.RelayDenied, out long suppressed, out _))
            {
                allowed++;
                Assert.Equal(0, suppressed);
            }
        }
        Assert.Equal(5, allowed);

        // One token a fifth of a second: the first line after the pause reports everything left out.
        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.True(limiter.TryAcquire(RefusalKind.RelayDenied, out long left, out var over));
        Assert.Equal(995, left);
        Assert.Equal(TimeSpan.FromMilliseconds(200), over);
        Assert.False(limiter.TryAcquire(RefusalKind.RelayDenied, out _, out _));

        // Reported once: the next line starts counting afresh.
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(RefusalKind.RelayDenied, out long again, out _));
        Assert.Equal(1, again);
    }

    [Fact]
    public void The_bucket_holds_at_most_one_second_of_tokens()
    {
        var time = new ManualTimeProvider();
        var limiter = new RefusalLogLimiter(3, time);
        time.Advance(TimeSpan.FromHours(1));
        int allowed = 0;
        for (int i = 0; i < 100; i++) allowed += limiter.TryAcquire(RefusalKind.AuthFailed, out _, out _) ? 1 : 0;
        Assert.Equal(3, allowed);
    }

    [Fact]
    public void A_wall_clock_stepped_back_does_not_silence_the_log()
    {
        var time = new ManualTimeProvider();
        var limiter = new RefusalLogLimiter(5, time);
        for (int i = 0; i < 5; i++) Assert.True(limiter.TryAcquire(RefusalKind.RelayDenied, out _, out _));

        // NTP steps the clock back an hour; a second later a token is due as on any other second.
        time.Set(time.GetUtcNow() - TimeSpan.FromHours(1));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(RefusalKind.RelayDenied, out _, out _));
    }

    [Fact]
    public void Each_kind_has_its_own_budget()
    {
        var time = new ManualTimeProvider();
        var limiter = new RefusalLogLimiter(2, time);
        for (int i = 0; i < 50; i++) limiter.TryAcquire(RefusalKind.RelayDenied, out _, out _);
        Assert.True(limiter.TryAcquire(RefusalKind.AuthFailed, out long suppressed, out _));
        Assert.Equal(0, suppressed);
        Assert.True(limiter.TryAcquire(RefusalKind.ConnectionLimit, out _, out _));
    }

    [Fact]
    public void Zero_lines_per_second_means_no_limit()
    {
        var limiter = new RefusalLogLimiter(0, new ManualTimeProvider());
        for (int i = 0; i < 1000; i++) Assert.True(limiter.TryAcquire(RefusalKind.MessageTooBig, out _, out _));
    }

    [Fact]
    public async Task Concurrent_refusals_never_get_more_than_the_burst()
    {
        var time = new ManualTimeProvider();
        var limiter = new RefusalLogLimiter(5, time);
        int allowed = 0;
        long suppressedReported = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                if (limiter.TryAcquire(RefusalKind.ConnectionLimit, out long suppressed, out _))
                {
                    Interlocked.Increment(ref allowed);
                    Interlocked.Add(ref suppressedReported, suppressed);
                }
            }
        })));
        Assert.Equal(5, allowed);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(RefusalKind.ConnectionLimit, out long left, out _));
        // Every refusal is either a line or counted in a summary.
        Assert.Equal(80_000 - 5, left + suppressedReported);
    }
}
