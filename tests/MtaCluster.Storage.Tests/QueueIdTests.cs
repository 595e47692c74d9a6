using System.Collections.Concurrent;
using MtaCluster.Testing;

namespace MtaCluster.Storage.Tests;

public sealed class QueueIdTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_000);

    [Fact]
    public void Ids_have_fixed_length_and_the_crockford_alphabet()
    {
        for (var i = 0; i < 1000; i++)
        {
            var id = QueueId.New();
            Assert.Equal(QueueId.Length, id.Length);
            Assert.Equal(24, id.Length);
            Assert.Matches("^[0-9A-HJKMNP-TV-Z]{24}$", id);
            Assert.True(QueueId.IsValid(id));
        }
        Assert.False(QueueId.IsValid("0123456789ABCDEFGHJKMNPI"));
        Assert.False(QueueId.IsValid("0123"));
        Assert.False(QueueId.IsValid("0123456789abcdefghjkmnpq"));
    }

    [Fact]
    public void Ids_within_one_millisecond_increase_strictly()
    {
        var generator = new QueueIdGenerator(new ManualTimeProvider(Start));
        var previous = generator.Next();
        for (var i = 0; i < 100_000; i++)
        {
            var next = generator.Next();
            Assert.True(string.CompareOrdinal(previous, next) < 0, $"{previous} !< {next}");
            previous = next;
        }
        Assert.True(QueueId.TryGetTimestamp(previous, out var stamp));
        Assert.Equal(Start, stamp);
    }

    [Fact]
    public void Ids_keep_increasing_when_the_clock_steps_back()
    {
        var clock = new ManualTimeProvider(Start);
        var generator = new QueueIdGenerator(clock);
        var before = generator.Next();
        clock.Advance(TimeSpan.FromSeconds(-5));
        var after = generator.Next();
        Assert.True(string.CompareOrdinal(before, after) < 0);
        clock.Advance(TimeSpan.FromSeconds(10));
        var later = generator.Next();
        Assert.True(string.CompareOrdinal(after, later) < 0);
        Assert.True(QueueId.TryGetTimestamp(later, out var stamp));
        Assert.Equal(Start + TimeSpan.FromSeconds(5), stamp);
    }

    [Fact]
    public void Ids_sort_by_creation_time_across_generators()
    {
        var early = new QueueIdGenerator(new ManualTimeProvider(Start)).Next();
        var late = new QueueIdGenerator(new ManualTimeProvider(Start.AddMilliseconds(1))).Next();
        Assert.True(string.CompareOrdinal(early, late) < 0);
    }

    [Fact]
    public void Ids_from_many_threads_are_unique_and_increase_per_thread()
    {
        var generator = new QueueIdGenerator(TimeProvider.System);
        var all = new ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            string? previous = null;
            for (var i = 0; i < 20_000; i++)
            {
                var id = generator.Next();
                if (previous is not null)
                    Assert.True(string.CompareOrdinal(previous, id) < 0);
                previous = id;
                all.Add(id);
            }
        });
        Assert.Equal(160_000, all.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Two_generators_in_the_same_millisecond_do_not_collide()
    {
        var clock = new ManualTimeProvider(Start);
        var a = new QueueIdGenerator(clock);
        var b = new QueueIdGenerator(clock);
        var ids = Enumerable.Range(0, 1000).SelectMany(_ => new[] { a.Next(), b.Next() }).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(2000, ids.Count);
    }
}
