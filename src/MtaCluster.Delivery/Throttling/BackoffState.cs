using MtaCluster.Delivery.Classification;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Throttling;

/// <summary>
/// The backoff state machine of one throttle group. Normal → (backoff reply) → Backoff at the floor
/// limits → (every N consecutive successes) one recovery step up → … → Normal once the policy limits are
/// reached. Another backoff reply at any point drops back to the floor and restarts the pause.
/// </summary>
/// <remarks>
/// Feed it every reply of the group (<see cref="OnReply"/>) and every successful delivery
/// (<see cref="OnSuccess"/>), and hand <see cref="EffectiveLimits"/> to the <see cref="DomainThrottle"/>
/// whenever a call returns true. Safe to share: the domains of one MX rollup group, each its own
/// entity, feed one state.
/// </remarks>
public sealed class BackoffState
{
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private DateTimeOffset? _resumeAt;

    public BackoffState(BackoffSettings settings, ThrottleLimits normalLimits, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(normalLimits);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxConnections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.RecoverAfter);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.RecoveryFactor, 2);
        Settings = settings;
        NormalLimits = normalLimits;
        EffectiveLimits = normalLimits;
        _clock = clock ?? TimeProvider.System;
    }

    public BackoffSettings Settings { get; private set; }

    /// <summary>The policy's own limits, restored when recovery completes.</summary>
    public ThrottleLimits NormalLimits { get; private set; }

    /// <summary>The limits to enforce now.</summary>
    public ThrottleLimits EffectiveLimits { get; private set; }

    public bool InBackoff { get; private set; }

    /// <summary>Recovery steps taken since the last backoff reply; 0 at the floor.</summary>
    public int Step { get; private set; }

    public int ConsecutiveSuccesses { get; private set; }

    /// <summary>Until when the group should not deliver after the last backoff reply; null when not paused.</summary>
    public DateTimeOffset? ResumeAt
    {
        get { lock (_gate) return _resumeAt; }
    }

    public bool IsPaused => ResumeAt is { } at && _clock.GetUtcNow() < at;

    /// <summary>
    /// Records a reply. A success counts as <see cref="OnSuccess"/>; a reply matching a backoff pattern
    /// enters (or re-enters) backoff. Returns true when <see cref="EffectiveLimits"/> or the pause changed.
    /// </summary>
    public bool OnReply(SmtpReply reply)
    {
        lock (_gate) return OnReplyLocked(reply);
    }

    private bool OnReplyLocked(SmtpReply reply)
    {
        if (reply.IsPositiveCompletion)
        {
            return OnSuccessLocked();
        }

        if (!Settings.Matches(reply))
        {
            // Failures that are not throttling signals (unknown user, content) say nothing about pace,
            // so they neither trigger backoff nor interrupt a run of successes.
            return false;
        }

        InBackoff = true;
        Step = 0;
        ConsecutiveSuccesses = 0;
        _resumeAt = _clock.GetUtcNow() + Settings.RetryInterval;
        EffectiveLimits = Floor();
        return true;
    }

    /// <summary>Records a successful delivery. Returns true when a recovery step changed the limits.</summary>
    public bool OnSuccess()
    {
        lock (_gate) return OnSuccessLocked();
    }

    private bool OnSuccessLocked()
    {
        if (!InBackoff)
        {
            return false;
        }

        _resumeAt = null;
        ConsecutiveSuccesses++;
        if (ConsecutiveSuccesses < Settings.RecoverAfter)
        {
            return false;
        }

        ConsecutiveSuccesses = 0;
        Step++;
        EffectiveLimits = StepUp(EffectiveLimits);
        if (EffectiveLimits == NormalLimits)
        {
            InBackoff = false;
            Step = 0;
        }

        return true;
    }

    /// <summary>Leaves backoff at once, with the policy's own limits and no pause (an operator's flush).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            InBackoff = false;
            Step = 0;
            ConsecutiveSuccesses = 0;
            _resumeAt = null;
            EffectiveLimits = NormalLimits;
        }
    }

    /// <summary>Replaces the policy limits (a configuration reload) while keeping the backoff position.</summary>
    public void UpdateNormalLimits(ThrottleLimits normalLimits)
    {
        ArgumentNullException.ThrowIfNull(normalLimits);
        lock (_gate) UpdateNormalLimitsLocked(normalLimits);
    }

    /// <summary>Replaces the backoff settings and the policy limits together (a reload of domains.yaml), keeping the backoff position.</summary>
    public void UpdateSettings(BackoffSettings settings, ThrottleLimits normalLimits)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(normalLimits);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.MaxConnections);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.RecoverAfter);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.RecoveryFactor, 2);
        lock (_gate)
        {
            Settings = settings;
            UpdateNormalLimitsLocked(normalLimits);
        }
    }

    private void UpdateNormalLimitsLocked(ThrottleLimits normalLimits)
    {
        NormalLimits = normalLimits;
        if (!InBackoff)
        {
            EffectiveLimits = normalLimits;
            return;
        }

        var limits = Floor();
        for (var i = 0; i < Step && limits != normalLimits; i++)
        {
            limits = StepUp(limits);
        }

        EffectiveLimits = limits;
        if (limits == normalLimits)
        {
            InBackoff = false;
            Step = 0;
        }
    }

    private ThrottleLimits Floor() => NormalLimits with
    {
        MaxConnections = Math.Min(Settings.MaxConnections, NormalLimits.MaxConnections),
        MaxMessagesPerMinute = MinRate(Settings.MaxMessagesPerMinute, NormalLimits.MaxMessagesPerMinute),
    };

    private ThrottleLimits StepUp(ThrottleLimits current)
    {
        var factor = Settings.RecoveryFactor;
        var connections = (int)Math.Min((long)current.MaxConnections * factor, NormalLimits.MaxConnections);
        int? rate = current.MaxMessagesPerMinute is int r ? (int)Math.Min((long)r * factor, int.MaxValue) : null;
        if (NormalLimits.MaxMessagesPerMinute is int normalRate && rate is int stepped)
        {
            rate = Math.Min(stepped, normalRate);
        }

        if (connections == NormalLimits.MaxConnections && NormalLimits.MaxMessagesPerMinute is null)
        {
            // With no rate limit in the policy, full concurrency is full recovery; the backoff rate
            // would otherwise keep doubling towards a limit that does not exist.
            rate = null;
        }

        return current with { MaxConnections = connections, MaxMessagesPerMinute = rate };
    }

    private static int? MinRate(int? a, int? b) => (a, b) switch
    {
        (null, _) => b,
        (_, null) => a,
        _ => Math.Min(a.Value, b.Value),
    };
}
