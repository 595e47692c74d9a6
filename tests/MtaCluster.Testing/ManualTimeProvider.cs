namespace MtaCluster.Testing;

/// <summary>A clock that moves only when told to, so time-dependent behaviour is exact in tests.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    public static readonly DateTimeOffset Epoch = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private DateTimeOffset _now = start;

    public ManualTimeProvider()
        : this(Epoch)
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;

    public void Set(DateTimeOffset to) => _now = to;
}
