using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Throttling;
using MtaCluster.Mail;
using MtaCluster.Testing;

namespace MtaCluster.Delivery.Tests;

public class BackoffStateTests
{
    private static readonly ThrottleLimits Normal = new(10, 600, 20_000, null, TimeSpan.FromSeconds(10));

    private static readonly SmtpReply Throttled = new(421, new EnhancedStatusCode(4, 7, 0), "Try again later, closing connection.");
    private static readonly SmtpReply UserUnknown = new(550, new EnhancedStatusCode(5, 1, 1), "The email account that you tried to reach does not exist.");

    private static BackoffState Create(ManualTimeProvider clock, ThrottleLimits? normal = null) =>
        new(BackoffSettings.Default with { RecoverAfter = 3 }, normal ?? Normal, clock);

    [Fact]
    public void Starts_normal()
    {
        var state = Create(new ManualTimeProvider());
        Assert.False(state.InBackoff);
        Assert.Equal(Normal, state.EffectiveLimits);
        Assert.False(state.OnSuccess());
    }

    [Theory]
    [InlineData(421, null, "Service not available")]
    [InlineData(451, "4.7.0", "Message deferred due to throttling")]
    [InlineData(450, "4.2.1", "The user you are trying to contact is receiving mail at a rate that prevents additional messages. Try again later")]
    [InlineData(452, "4.5.3", "Too many messages in this connection")]
    [InlineData(450, null, "Rate limit exceeded for this sender")]
    [InlineData(451, null, "Too many connections from your IP")]
    [InlineData(421, "4.7.0", "[TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints")]
    public void Throttling_replies_enter_backoff(int code, string? enhanced, string text)
    {
        var clock = new ManualTimeProvider();
        var state = Create(clock);
        Assert.True(state.OnReply(new SmtpReply(code, enhanced is null ? null : EnhancedStatusCode.Parse(enhanced), text)));
        Assert.True(state.InBackoff);
        Assert.Equal(1, state.EffectiveLimits.MaxConnections);
        Assert.Equal(10, state.EffectiveLimits.MaxMessagesPerMinute);
        Assert.Equal(20_000, state.EffectiveLimits.MaxMessagesPerHour);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(10), state.ResumeAt);
        Assert.True(state.IsPaused);
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.False(state.IsPaused);
    }

    [Fact]
    public void Other_failures_neither_enter_backoff_nor_break_a_run_of_successes()
    {
        var state = Create(new ManualTimeProvider());
        Assert.False(state.OnReply(UserUnknown));
        Assert.False(state.InBackoff);

        state.OnReply(Throttled);
        state.OnSuccess();
        state.OnSuccess();
        Assert.False(state.OnReply(UserUnknown));
        Assert.Equal(2, state.ConsecutiveSuccesses);
    }

    [Fact]
    public void Recovers_step_by_step_doubling_to_the_policy_limits()
    {
        var state = Create(new ManualTimeProvider());
        state.OnReply(Throttled);

        var steps = new List<(int Connections, int? Rate)>();
        while (state.InBackoff)
        {
            Assert.False(state.OnSuccess());
            Assert.False(state.OnSuccess());
            Assert.True(state.OnSuccess());
            steps.Add((state.EffectiveLimits.MaxConnections, state.EffectiveLimits.MaxMessagesPerMinute));
            Assert.True(steps.Count < 20);
        }

        Assert.Equal(
            [(2, 20), (4, 40), (8, 80), (10, 160), (10, 320), (10, 600)],
            steps);
        Assert.Equal(Normal, state.EffectiveLimits);
        Assert.Null(state.ResumeAt);
    }

    [Fact]
    public void Without_a_policy_rate_full_concurrency_is_full_recovery()
    {
        var normal = Normal with { MaxMessagesPerMinute = null };
        var state = Create(new ManualTimeProvider(), normal);
        state.OnReply(Throttled);
        Assert.Equal(10, state.EffectiveLimits.MaxMessagesPerMinute);
        for (var i = 0; i < 3 * 4; i++)
        {
            state.OnSuccess();
        }

        Assert.False(state.InBackoff);
        Assert.Equal(normal, state.EffectiveLimits);
    }

    [Fact]
    public void A_new_throttling_reply_during_recovery_drops_back_to_the_floor()
    {
        var clock = new ManualTimeProvider();
        var state = Create(clock);
        state.OnReply(Throttled);
        for (var i = 0; i < 6; i++)
        {
            state.OnSuccess();
        }

        Assert.Equal(4, state.EffectiveLimits.MaxConnections);
        Assert.Equal(2, state.Step);
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.True(state.OnReply(Throttled));
        Assert.Equal(1, state.EffectiveLimits.MaxConnections);
        Assert.Equal(0, state.Step);
        Assert.Equal(0, state.ConsecutiveSuccesses);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(10), state.ResumeAt);
    }

    [Fact]
    public void A_success_reply_counts_as_success()
    {
        var state = Create(new ManualTimeProvider());
        state.OnReply(Throttled);
        state.OnReply(new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "OK"));
        Assert.Equal(1, state.ConsecutiveSuccesses);
    }

    [Fact]
    public void An_empty_pattern_list_disables_backoff()
    {
        var settings = BackoffSettings.Default with { Patterns = [] };
        var state = new BackoffState(settings, Normal, new ManualTimeProvider());
        Assert.False(state.OnReply(Throttled));
        Assert.False(state.InBackoff);
    }

    [Fact]
    public void Updating_policy_limits_keeps_the_recovery_position()
    {
        var state = Create(new ManualTimeProvider());
        state.OnReply(Throttled);
        for (var i = 0; i < 3; i++)
        {
            state.OnSuccess();
        }

        state.UpdateNormalLimits(Normal with { MaxConnections = 20 });
        Assert.Equal(2, state.EffectiveLimits.MaxConnections);
        Assert.True(state.InBackoff);

        state.UpdateNormalLimits(Normal with { MaxConnections = 1, MaxMessagesPerMinute = 5 });
        Assert.False(state.InBackoff);
        Assert.Equal(1, state.EffectiveLimits.MaxConnections);
    }
}
