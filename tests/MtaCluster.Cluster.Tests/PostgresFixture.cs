using MtaCluster.Testing;

namespace MtaCluster.Cluster.Tests;

/// <summary>One throwaway PostgreSQL per test class (initdb costs seconds); each test takes a database of its own.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartNewAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
