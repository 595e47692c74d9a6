using MtaCluster.Actors.Sharding;
using MtaCluster.Node.Spooling;
using MtaCluster.Storage;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Node.Tests.Spooling;

/// <summary>
/// A spool from before the shard count was stored has mail filed under some count and no record of
/// it: the rows themselves must refuse a node started with another count, and that refusal must not
/// store the wrong count for the next start.
/// </summary>
public sealed class ShardCountCheckTests : IAsyncLifetime
{
    private const int FiledUnder = 1024;

    private readonly string _directory = Directory.CreateTempSubdirectory("shard-check-").FullName;
    private SqliteQueueStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory));
        await _store.InitializeAsync();
        // Queued as a node with 1024 shards would, with nothing stored about the count.
        for (var i = 0; i < 20; i++)
        {
            var domain = $"d{i}.example";
            var recipient = new SpoolRecipient($"user@{domain}", domain, ShardHash.ShardOf(domain, FiledUnder));
            await _store.EnqueueAsync(new SpoolMessage(QueueId.New(), "sender@example.com", [recipient], "Subject: x\r\n\r\nx\r\n"u8.ToArray(), DateTimeOffset.UtcNow));
        }
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Queued_rows_refuse_another_count_and_the_refusal_stores_nothing()
    {
        var reason = await ShardCountCheck.RunAsync(_store, 512);
        Assert.NotNull(reason);
        Assert.StartsWith("Sharding:MaxShards is 512 but queued mail for ", reason);

        // The count the mail was filed under is still accepted, and only now stored.
        Assert.Null(await ShardCountCheck.RunAsync(_store, FiledUnder));
        Assert.Equal(FiledUnder, await _store.GetOrStoreShardCountAsync(7));
    }
}
