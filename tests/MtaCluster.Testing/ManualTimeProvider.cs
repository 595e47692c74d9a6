namespace MtaCluster.Testing;

/// <summary>
/// A clock that moves only when told to, so time-dependent behaviour is exact in tests. It keeps the
/// wall clock and the monotonic timestamp apart as a real machine does: <see cref="Advance"/> moves
/// both, <see cref="Set"/> steps only the wall clock (as NTP would), backwards too.
/// </summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    public static readonly DateTimeOffset Epoch = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _now = start;
    // Not zero, as a real monotonic clock is not, so code may use 0 for "never".
    private long _timestamp = TimeSpan.TicksPerDay;

    public ManualTimeProvider()
        : this(Epoch)
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _timestamp;

    public void Advance(TimeSpan by)
    {
        _now += by;
        _timestamp += by.Ticks;
    }

    public void Set(DateTimeOffset to) => _now = to;
}
