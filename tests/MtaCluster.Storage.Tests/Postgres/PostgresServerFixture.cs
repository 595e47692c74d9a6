using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>One throwaway PostgreSQL server for every test class of the collection (initdb costs seconds); each test makes a database of its own.</summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public async Task InitializeAsync() => _server = await PostgresServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServerFixture>
{
    public const string Name = "PostgreSQL server";
}
