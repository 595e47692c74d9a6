using MtaCluster.Storage.Postgres;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>The provider contract on a database of its own per test, on the collection's server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresQueueStoreContractTests(PostgresServerFixture fixture) : QueueStoreContractTests
{
    private string? _connectionString;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _connectionString = await fixture.Server.CreateDatabaseAsync();
    }

    protected override IQueueStore CreateStore() =>
        new PostgresQueueStore(new PostgresQueueStoreOptions { ConnectionString = _connectionString! });
}
