using MtaCluster.Mail;
using MtaCluster.Storage.Postgres;
using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests.Postgres;

/// <summary>What PostgreSQL provider tests share: a database of their own on the collection's server, stores disposed at the end.</summary>
public abstract class PostgresStoreTests(PostgresServerFixture fixture) : IAsyncLifetime
{
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    private readonly List<PostgresQueueStore> _stores = [];

    protected PostgresServer Server => fixture.Server;

    protected string Database { get; } = $"t_{Guid.NewGuid():N}";

    protected string ConnectionString { get; private set; } = "";

    public virtual async Task InitializeAsync() => ConnectionString = await Server.CreateDatabaseAsync(Database);

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
            await store.DisposeAsync();
    }

    protected PostgresQueueStore CreateStore(IShardFencing? fencing = null, bool notify = false, bool removeDelivered = false)
    {
        var store = new PostgresQueueStore(new PostgresQueueStoreOptions
        {
            ConnectionString = ConnectionString,
            Fencing = fencing,
            Notify = notify,
            RemoveDeliveredOnCompletion = removeDelivered,
        });
        _stores.Add(store);
        return store;
    }

    protected async Task<PostgresQueueStore> OpenStoreAsync(IShardFencing? fencing = null, bool notify = false, bool removeDelivered = false)
    {
        var store = CreateStore(fencing, notify, removeDelivered);
        await store.InitializeAsync();
        return store;
    }

    protected Task<string> PsqlAsync(string sql) => Server.PsqlAsync(Database, sql);

    protected static SpoolRecipient Rcpt(string address, int shard) => new(address, address[(address.IndexOf('@') + 1)..], shard);

    protected static SpoolMessage Message(int shard, params SpoolRecipient[] recipients) =>
        new(QueueId.New(), "sender@example.org", recipients, "Subject: t\r\n\r\nbody\r\n"u8.ToArray(), T0, Shard: shard);

    protected static SpoolMessage Notice(string to, int shard) =>
        new(QueueId.New(), "", [Rcpt(to, shard)], "Subject: notice\r\n\r\nbody\r\n"u8.ToArray(), T0, Shard: shard);

    protected static RecipientAttempt Outcome(QueuedRecipient recipient, RecipientState state, string reply = "250 ok") =>
        new(recipient.RecipientId, state, T0.AddMinutes(5), reply, AttemptedAt: T0.AddMinutes(1));
}
