using MtaCluster.Delivery.Throttling;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public class DomainThrottleTests
{
    private static ThrottleLimits Limits(
        int connections = 2, int? perMinute = null, int? perHour = null, int? newPerMinute = null, int burstSeconds = 10) =>
        new(connections, perMinute, perHour, newPerMinute, TimeSpan.FromSeconds(burstSeconds));

    [Fact]
    public void Connection_slots_are_limited_and_released()
    {
        var throttle = new DomainThrottle(Limits(connections: 2), new ManualTimeProvider());
        Assert.True(throttle.TryAcquireConnection());
        Assert.True(throttle.TryAcquireConnection());
        Assert.False(throttle.TryAcquireConnection());
        Assert.Null(throttle.NextConnectionAvailableAt());
        throttle.ReleaseConnection();
        Assert.Equal(1, throttle.ActiveConnections);
        Assert.True(throttle.TryAcquireConnection());
    }

    [Fact]
    public void Releasing_without_a_connection_is_an_error()
    {
        var throttle = new DomainThrottle(Limits(), new ManualTimeProvider());
        Assert.Throws<InvalidOperationException>(throttle.ReleaseConnection);
    }

    [Fact]
    public void New_connection_rate_limits_even_with_free_slots()
    {
        var clock = new ManualTimeProvider();
        // 6 per minute with a 10s burst window: capacity 1, one every 10 seconds.
        var throttle = new DomainThrottle(Limits(connections: 10, newPerMinute: 6), clock);
        Assert.True(throttle.TryAcquireConnection());
        Assert.False(throttle.TryAcquireConnection());
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromSeconds(10), throttle.NextConnectionAvailableAt());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(throttle.TryAcquireConnection());
        Assert.Equal(2, throttle.ActiveConnections);
    }

    [Fact]
    public void Unlimited_rates_admit_everything_now()
    {
        var clock = new ManualTimeProvider();
        var throttle = new DomainThrottle(Limits(), clock);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(throttle.TryTakeMessage());
        }

        Assert.Equal(clock.GetUtcNow(), throttle.NextAvailableAt());
    }

    [Fact]
    public void Sixty_per_minute_holds_over_ten_minutes()
    {
        var clock = new ManualTimeProvider();
        var throttle = new DomainThrottle(Limits(perMinute: 60), clock);
        var admitted = 0;
        for (var step = 0; step <= 600 * 10; step++)
        {
            while (throttle.TryTakeMessage())
            {
                admitted++;
            }

            clock.Advance(TimeSpan.FromMilliseconds(100));
        }

        // Burst of 10 (10s of a 60/min rate) plus one per second for 600 seconds.
        Assert.Equal(10 + 600, admitted);
    }

    [Fact]
    public void The_stricter_bucket_decides_and_a_refusal_takes_nothing()
    {
        var clock = new ManualTimeProvider();
        // Per minute 60 with a 10s window: capacity 10. Per hour 360: capacity 1, one every 10s.
        var throttle = new DomainThrottle(Limits(perMinute: 60, perHour: 360), clock);
        Assert.True(throttle.TryTakeMessage());
        for (var i = 0; i < 5; i++)
        {
            Assert.False(throttle.TryTakeMessage());
        }

        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromSeconds(10), throttle.NextAvailableAt());

        // Lifting the hourly limit shows the refusals left the minute bucket untouched: 9 of 10 remain.
        throttle.UpdateLimits(Limits(perMinute: 60));
        var taken = 0;
        while (throttle.TryTakeMessage())
        {
            taken++;
        }

        Assert.Equal(9, taken);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromSeconds(1), throttle.NextAvailableAt());
    }

    [Fact]
    public void Lowered_connection_limit_admits_nothing_until_enough_are_released()
    {
        var throttle = new DomainThrottle(Limits(connections: 3), new ManualTimeProvider());
        for (var i = 0; i < 3; i++)
        {
            Assert.True(throttle.TryAcquireConnection());
        }

        throttle.UpdateLimits(Limits(connections: 1));
        throttle.ReleaseConnection();
        Assert.False(throttle.TryAcquireConnection());
        throttle.ReleaseConnection();
        throttle.ReleaseConnection();
        Assert.True(throttle.TryAcquireConnection());
        Assert.False(throttle.TryAcquireConnection());
    }

    [Fact]
    public void Adding_a_rate_later_starts_a_full_bucket_and_removing_it_lifts_the_limit()
    {
        var clock = new ManualTimeProvider();
        var throttle = new DomainThrottle(Limits(), clock);
        throttle.UpdateLimits(Limits(perMinute: 6, burstSeconds: 0));
        Assert.True(throttle.TryTakeMessage());
        Assert.False(throttle.TryTakeMessage());
        throttle.UpdateLimits(Limits());
        Assert.True(throttle.TryTakeMessage());
    }
}
