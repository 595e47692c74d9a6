using MtaCluster.Delivery.Retries;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public class RetryScheduleTests
{
    private static readonly DateTimeOffset Queued = ManualTimeProvider.Epoch;

    private static RetrySettings NoJitter => RetrySettings.Default with { Jitter = 0 };

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(3, 20)]
    [InlineData(4, 40)]
    [InlineData(5, 60)]
    [InlineData(6, 120)]
    [InlineData(7, 120)]
    [InlineData(40, 120)]
    public void Default_schedule_without_jitter(int attempt, int minutes)
    {
        var schedule = new RetrySchedule(NoJitter);
        var now = Queued + TimeSpan.FromHours(1);
        var decision = schedule.NextAttempt(attempt, Queued, now);
        Assert.False(decision.IsExpired);
        Assert.Null(decision.StatusCode);
        Assert.Equal(now + TimeSpan.FromMinutes(minutes), decision.At);
    }

    [Fact]
    public void Jitter_stays_within_ten_percent_and_actually_varies()
    {
        var schedule = new RetrySchedule(RetrySettings.Default, new Random(42));
        var seen = new HashSet<DateTimeOffset>();
        for (var i = 0; i < 2_000; i++)
        {
            var at = schedule.NextAttempt(6, Queued, Queued).At!.Value;
            var delay = at - Queued;
            Assert.InRange(delay, TimeSpan.FromMinutes(108), TimeSpan.FromMinutes(132));
            seen.Add(at);
        }

        Assert.True(seen.Count > 1_000);
        var mean = seen.Average(a => (a - Queued).TotalMinutes);
        Assert.InRange(mean, 118, 122);
    }

    [Fact]
    public void Same_seed_gives_the_same_schedule()
    {
        var a = new RetrySchedule(RetrySettings.Default, new Random(7));
        var b = new RetrySchedule(RetrySettings.Default, new Random(7));
        for (var attempt = 1; attempt < 20; attempt++)
        {
            Assert.Equal(a.NextAttempt(attempt, Queued, Queued), b.NextAttempt(attempt, Queued, Queued));
        }
    }

    [Fact]
    public void Expires_at_max_age_with_4_4_7()
    {
        var schedule = new RetrySchedule(NoJitter);
        var decision = schedule.NextAttempt(30, Queued, Queued + TimeSpan.FromDays(5));
        Assert.True(decision.IsExpired);
        Assert.Null(decision.At);
        Assert.Equal("4.4.7", decision.StatusCode);
        Assert.Equal(RetryDecision.Expired, decision);
    }

    [Fact]
    public void A_retry_past_the_deadline_moves_onto_the_deadline()
    {
        var schedule = new RetrySchedule(NoJitter);
        var deadline = Queued + TimeSpan.FromDays(5);
        var decision = schedule.NextAttempt(30, Queued, deadline - TimeSpan.FromMinutes(30));
        Assert.Equal(deadline, decision.At);
        Assert.True(schedule.NextAttempt(31, Queued, deadline).IsExpired);
    }

    [Fact]
    public void Walking_the_whole_schedule_expires_after_five_days()
    {
        var schedule = new RetrySchedule(RetrySettings.Default, new Random(1));
        var now = Queued;
        var attempts = 1;
        while (schedule.NextAttempt(attempts, Queued, now) is { IsExpired: false } decision)
        {
            Assert.True(decision.At > now);
            now = decision.At!.Value;
            attempts++;
        }

        Assert.Equal(Queued + TimeSpan.FromDays(5), now);
        // 5 fixed intervals (2h15m) then about (120h - 2.25h) / 2h repeats, plus the deadline attempt.
        Assert.InRange(attempts, 60, 68);
    }

    [Fact]
    public void Invalid_settings_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new RetrySchedule(RetrySettings.Default with { Jitter = 1 }));
        Assert.Throws<ArgumentException>(() => new RetrySchedule(RetrySettings.Default with { ThenEvery = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new RetrySchedule(RetrySettings.Default with { MaxAge = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetrySchedule(NoJitter).NextAttempt(0, Queued, Queued));
    }
}
