using System.Diagnostics;
using MtaCluster.Storage.Sqlite;
using MtaCluster.Testing;
using Xunit.Abstractions;

namespace MtaCluster.Storage.Tests.Sqlite;

/// <summary>
/// Removed mail's pages go back to the file system in small vacuum steps, each a transaction of its
/// own apart from the callers' batches, and by themselves when the spool is quiet.
/// </summary>
public sealed class SqliteSpaceReclaimerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly ScratchDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string DatabasePath => _directory.File(SqliteQueueStoreOptions.DefaultFileName);

    private async Task<SqliteQueueStore> OpenAsync(TimeSpan reclaimInterval, int stepPages = 128)
    {
        var store = new SqliteQueueStore(new SqliteQueueStoreOptions { DatabasePath = DatabasePath, ReclaimInterval = reclaimInterval, ReclaimStepPages = stepPages });
        await store.InitializeAsync();
        return store;
    }

    /// <summary>Stores <paramref name="count"/> messages of 256 KiB and removes them again; returns the file's length when they were all in it.</summary>
    private async Task<long> FillAndEmptyAsync(SqliteQueueStore store, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var body = new byte[256 * 1024];
            new Random(i).NextBytes(body);
            var message = new SpoolMessage(QueueId.New(), "s@example.org", [new SpoolRecipient($"r{i}@x.test", "x.test", 1)], body, T0);
            await store.EnqueueAsync(message);
            ids.Add(message.Id);
        }
        await CheckpointAsync(store);
        var full = new FileInfo(DatabasePath).Length;
        foreach (var id in ids)
            await store.DeleteMessageAsync(id);
        return full;
    }

    [Fact]
    public async Task A_quiet_spool_hands_the_pages_of_removed_mail_back_to_the_file_system_by_itself()
    {
        await using var store = await OpenAsync(TimeSpan.FromMilliseconds(50));
        var full = await FillAndEmptyAsync(store, 40);

        // Nothing but the store's own quiet-time upkeep (vacuum steps, then a passive checkpoint) shortens the file.
        await Poll.UntilAsync(async () => (await store.GetSpaceAsync()).FreeBytes < 64 * 1024 && new FileInfo(DatabasePath).Length < full / 4,
            Patience, $"the file ({new FileInfo(DatabasePath).Length} bytes, {full} when full) to shrink");
    }

    [Fact]
    public async Task With_quiet_time_upkeep_off_free_pages_stay_for_new_mail()
    {
        await using var store = await OpenAsync(TimeSpan.Zero);
        await FillAndEmptyAsync(store, 40);
        var free = (await store.GetSpaceAsync()).FreeBytes;
        Assert.True(free >= 30L * 256 * 1024, $"free bytes {free}");

        // New mail of the same size reuses them: the file does not grow.
        var before = (await store.GetSpaceAsync()).FileBytes;
        await FillAndEmptyAsync(store, 30);
        Assert.Equal(before, (await store.GetSpaceAsync()).FileBytes);
    }

    [Fact]
    public async Task A_write_during_a_long_reclaim_waits_for_one_step_not_for_the_whole_free_list()
    {
        // 40 x 256 KiB removed is ~2,600 free pages: ~650 steps of 4 pages.
        await using var store = await OpenAsync(TimeSpan.Zero, stepPages: 4);
        await FillAndEmptyAsync(store, 40);
        var freeBefore = (await store.GetSpaceAsync()).FreeBytes;

        var clock = Stopwatch.StartNew();
        var reclaim = store.ReclaimFreeSpaceAsync(int.MaxValue);
        await Poll.UntilAsync(async () => reclaim.IsCompleted || (await store.GetSpaceAsync()).FreeBytes < freeBefore, Patience, "the reclaim to start");
        var message = new SpoolMessage(QueueId.New(), "s@example.org", [new SpoolRecipient("late@x.test", "x.test", 1)], new byte[2048], T0);
        await store.EnqueueAsync(message);

        // Queued behind one vacuum of everything, the write would have come back only once the free list was empty.
        Assert.False(reclaim.IsCompleted, "the write waited for the whole reclaim");
        var freeAtWrite = (await store.GetSpaceAsync()).FreeBytes;
        Assert.True(freeAtWrite > 0, $"{freeAtWrite} free bytes when the write was durable");
        await reclaim;
        var steps = (freeBefore / 4096 + 3) / 4;
        output.WriteLine($"{freeBefore / 4096} free pages reclaimed in {clock.Elapsed.TotalMilliseconds:F0} ms, {steps} steps of 4 pages: {clock.Elapsed.TotalMilliseconds / steps:F2} ms a step");
        Assert.True((await store.GetSpaceAsync()).FreeBytes < 64 * 1024);
        Assert.NotNull(await store.GetMessageAsync(message.Id));
    }

    [Fact]
    public async Task A_step_of_the_default_size_takes_a_few_milliseconds()
    {
        // A measurement for the step size's comment, printed, not asserted: the time is the machine's.
        var size = new SqliteQueueStoreOptions { DatabasePath = DatabasePath }.ReclaimStepPages;
        await using var store = await OpenAsync(TimeSpan.Zero, stepPages: size);
        await FillAndEmptyAsync(store, 80);
        var pages = (await store.GetSpaceAsync()).FreeBytes / 4096;
        var clock = Stopwatch.StartNew();
        await store.ReclaimFreeSpaceAsync(int.MaxValue);
        var steps = (pages + size - 1) / size;
        output.WriteLine($"{pages} free pages in {steps} steps of {size}: {clock.Elapsed.TotalMilliseconds / steps:F2} ms a step");
        Assert.True((await store.GetSpaceAsync()).FreeBytes < size * 4096);
    }

    private static async Task CheckpointAsync(SqliteQueueStore store)
    {
        await using var connection = await store.OpenReadConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        await command.ExecuteNonQueryAsync();
    }
}
