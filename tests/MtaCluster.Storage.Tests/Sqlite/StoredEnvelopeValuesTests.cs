using Microsoft.Data.Sqlite;
using MtaCluster.Mail;
using MtaCluster.Storage.Sqlite;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>
/// The envelope's enums on disk: the numbers are the file format, so rows written before the
/// shared vocabulary existed read back with the same meaning, and new rows are written the same way.
/// </summary>
public sealed class StoredEnvelopeValuesTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    // The numbers every spool file has held since schema 1: body 0/1/2 = 7BIT/8BITMIME/BINARYMIME,
    // ret 0/1/2 = not given/FULL/HDRS, notify bits 1/2/4/8 = NEVER/SUCCESS/FAILURE/DELAY, 0 = not given.
    public static TheoryData<long, long, long, MessageBodyType, DsnReturn, DsnNotify> OnDisk => new()
    {
        { 0, 0, 0, MessageBodyType.SevenBit, DsnReturn.NotGiven, DsnNotify.NotGiven },
        { 1, 1, 1, MessageBodyType.EightBitMime, DsnReturn.Full, DsnNotify.Never },
        { 2, 2, 2, MessageBodyType.BinaryMime, DsnReturn.Headers, DsnNotify.Success },
        { 0, 1, 4, MessageBodyType.SevenBit, DsnReturn.Full, DsnNotify.Failure },
        { 1, 2, 8, MessageBodyType.EightBitMime, DsnReturn.Headers, DsnNotify.Delay },
        { 0, 0, 12, MessageBodyType.SevenBit, DsnReturn.NotGiven, DsnNotify.Failure | DsnNotify.Delay },
        { 0, 0, 14, MessageBodyType.SevenBit, DsnReturn.NotGiven, DsnNotify.Success | DsnNotify.Failure | DsnNotify.Delay },
    };

    [Theory]
    [MemberData(nameof(OnDisk))]
    public async Task A_row_on_disk_reads_back_with_its_meaning(long bodyType, long ret, long notify, MessageBodyType expectedBody, DsnReturn expectedReturn, DsnNotify expectedNotify)
    {
        await using var store = await OpenAsync();
        string id = await EnqueueAsync(store, MessageBodyType.SevenBit, DsnReturn.NotGiven, DsnNotify.NotGiven);
        await ExecuteAsync($"UPDATE messages SET body_type = {bodyType}, ret = {ret} WHERE id = '{id}'; UPDATE recipients SET notify = {notify} WHERE message_id = '{id}'");

        StoredMessage? stored = await store.GetMessageAsync(id);
        Assert.NotNull(stored);
        Assert.Equal(expectedBody, stored.BodyType);
        Assert.Equal(expectedReturn, stored.DsnReturn);
        Assert.Equal(expectedNotify, Assert.Single(await store.GetRecipientsAsync(id)).Notify);
    }

    [Theory]
    [MemberData(nameof(OnDisk))]
    public async Task A_new_row_is_written_with_the_same_numbers(long bodyType, long ret, long notify, MessageBodyType body, DsnReturn dsnReturn, DsnNotify dsnNotify)
    {
        await using var store = await OpenAsync();
        string id = await EnqueueAsync(store, body, dsnReturn, dsnNotify);

        Assert.Equal(bodyType, await ScalarAsync($"SELECT body_type FROM messages WHERE id = '{id}'"));
        Assert.Equal(ret, await ScalarAsync($"SELECT ret FROM messages WHERE id = '{id}'"));
        Assert.Equal(notify, await ScalarAsync($"SELECT notify FROM recipients WHERE message_id = '{id}'"));
    }

    [Fact]
    public async Task A_value_this_version_does_not_know_is_refused_not_guessed()
    {
        await using var store = await OpenAsync();
        string id = await EnqueueAsync(store, MessageBodyType.SevenBit, DsnReturn.NotGiven, DsnNotify.NotGiven);
        await ExecuteAsync($"UPDATE messages SET body_type = 3 WHERE id = '{id}'; UPDATE recipients SET notify = 16 WHERE message_id = '{id}'");

        await Assert.ThrowsAsync<InvalidDataException>(() => store.GetMessageAsync(id));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.GetRecipientsAsync(id));
    }

    [Fact]
    public void Every_notify_combination_maps_both_ways()
    {
        for (int bits = 0; bits < 16; bits++)
        {
            DsnNotify notify = StoredEnvelopeValues.ToNotify(bits);
            Assert.Equal(bits, StoredEnvelopeValues.FromNotify(notify));
        }

        Assert.Equal(DsnNotify.NotGiven, StoredEnvelopeValues.ToNotify(0));
        Assert.NotEqual(StoredEnvelopeValues.FromNotify(DsnNotify.NotGiven), StoredEnvelopeValues.FromNotify(DsnNotify.Never));
    }

    private async Task<SqliteQueueStore> OpenAsync()
    {
        var store = new SqliteQueueStore(SqliteQueueStoreOptions.ForDataDirectory(_directory.Path));
        await store.InitializeAsync();
        return store;
    }

    private static async Task<string> EnqueueAsync(SqliteQueueStore store, MessageBodyType body, DsnReturn ret, DsnNotify notify)
    {
        var message = new SpoolMessage(
            QueueId.New(),
            "sender@example.org",
            [new SpoolRecipient("rcpt@example.com", "example.com", 1, null, notify)],
            "Subject: x\r\n\r\nbody\r\n"u8.ToArray(),
            T0,
            body,
            DsnReturn: ret);
        await store.EnqueueAsync(message);
        return message.Id;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_directory.File(SqliteQueueStoreOptions.DefaultFileName)};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_directory.File(SqliteQueueStoreOptions.DefaultFileName)};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
