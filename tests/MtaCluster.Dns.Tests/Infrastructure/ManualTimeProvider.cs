namespace MtaCluster.Dns.Tests.Infrastructure;

/// <summary>Clock that only moves when told to, so cache expiry can be tested without sleeping.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
