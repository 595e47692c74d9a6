namespace MtaCluster.Dns.Tests.Infrastructure;

/// <summary>Upper bound for any single test's network wait, so a regression fails instead of hanging.</summary>
internal static class TestContext
{
    public static CancellationToken Token => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;
}
