using FsCheck;
using FsCheck.Fluent;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public class TokenBucketTests
{
    private static readonly DateTimeOffset T0 = ManualTimeProvider.Epoch;

    [Fact]
    public void Starts_full_and_refuses_beyond_capacity()
    {
        var bucket = new TokenBucket(capacity: 3, tokensPerPeriod: 60, TimeSpan.FromMinutes(1), T0);
        Assert.True(bucket.TryTake(T0));
        Assert.True(bucket.TryTake(T0));
        Assert.True(bucket.TryTake(T0));
        Assert.False(bucket.TryTake(T0));
    }

    [Fact]
    public void Refills_exactly_at_the_rate_and_not_one_tick_early()
    {
        var bucket = TokenBucket.PerMinute(60, burst: 1, T0);
        Assert.True(bucket.TryTake(T0));
        Assert.Equal(TimeSpan.FromSeconds(1), bucket.TimeUntilAvailable(T0));
        var almost = T0 + TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1);
        Assert.False(bucket.TryTake(almost));
        Assert.Equal(TimeSpan.FromTicks(1), bucket.TimeUntilAvailable(almost));
        Assert.True(bucket.TryTake(T0 + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Sixty_per_minute_admits_sixty_in_a_minute_plus_the_burst()
    {
        const int burst = 10;
        var bucket = TokenBucket.PerMinute(60, burst, T0);
        var admitted = 0;
        for (var t = TimeSpan.Zero; t <= TimeSpan.FromMinutes(1); t += TimeSpan.FromMilliseconds(50))
        {
            while (bucket.TryTake(T0 + t))
            {
                admitted++;
            }
        }

        Assert.Equal(60 + burst, admitted);
    }

    [Fact]
    public void Does_not_accumulate_beyond_capacity_while_idle()
    {
        var bucket = TokenBucket.PerHour(3600, burst: 5, T0);
        Assert.Equal(5, bucket.Available(T0 + TimeSpan.FromDays(30)));
    }

    [Fact]
    public void Time_until_more_than_capacity_is_never()
    {
        var bucket = new TokenBucket(2, 1, TimeSpan.FromSeconds(1), T0);
        Assert.Equal(TimeSpan.MaxValue, bucket.TimeUntilAvailable(T0, 3));
        Assert.False(bucket.TryTake(T0, 3));
    }

    [Fact]
    public void A_clock_stepping_back_neither_mints_nor_destroys_credit()
    {
        var bucket = new TokenBucket(1, 1, TimeSpan.FromSeconds(1), T0);
        Assert.True(bucket.TryTake(T0));
        Assert.False(bucket.TryTake(T0 - TimeSpan.FromHours(1)));
        Assert.True(bucket.TryTake(T0 + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Reconfigure_keeps_earned_credit_clamped_to_the_new_capacity()
    {
        var bucket = TokenBucket.PerMinute(600, burst: 100, T0);
        bucket.Reconfigure(capacity: 2, tokensPerPeriod: 10, TimeSpan.FromMinutes(1), T0);
        Assert.Equal(2, bucket.Available(T0));
        Assert.True(bucket.TryTake(T0, 2));
        Assert.Equal(TimeSpan.FromSeconds(6), bucket.TimeUntilAvailable(T0));
    }

    [Fact]
    public void Never_admits_more_than_capacity_plus_rate_times_elapsed()
    {
        // Property: for any rate, burst and sequence of take times, the number admitted within [0, t]
        // is at most burst + floor(rate * t / period).
        var property = Prop.ForAll(
            Gen.Choose(1, 500).ToArbitrary(),
            Gen.Choose(1, 50).ToArbitrary(),
            Gen.ListOf(Gen.Choose(0, 5_000)).ToArbitrary(),
            (rate, burst, steps) =>
            {
                var bucket = TokenBucket.PerMinute(rate, burst, T0);
                var now = T0;
                var admitted = 0;
                foreach (var step in steps)
                {
                    now += TimeSpan.FromMilliseconds(step);
                    if (bucket.TryTake(now))
                    {
                        admitted++;
                    }

                    var elapsed = (now - T0).Ticks;
                    var allowed = burst + (long)rate * elapsed / TimeSpan.FromMinutes(1).Ticks;
                    if (admitted > allowed)
                    {
                        return false;
                    }
                }

                return true;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }
}
