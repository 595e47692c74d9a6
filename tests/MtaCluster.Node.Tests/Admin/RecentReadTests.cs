using MtaCluster.Node.Admin;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Admin;

public sealed class RecentReadTests
{
    private sealed class Counted
    {
        public int Reads;
        public TaskCompletionSource<string>? Gate;

        public async Task<string> ReadAsync(CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref Reads);
            if (Gate is { } gate) return await gate.Task;
            return $"read {n}";
        }
    }

    [Fact]
    public async Task A_caller_allowing_an_age_gets_the_last_read_while_it_is_that_young_and_one_allowing_none_reads_now()
    {
        var time = new ManualTimeProvider();
        var source = new Counted();
        var reads = new RecentRead<string>(source.ReadAsync, time);

        Assert.Equal("read 1", await reads.GetAsync(TimeSpan.FromSeconds(4), CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal("read 1", await reads.GetAsync(TimeSpan.FromSeconds(4), CancellationToken.None));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("read 2", await reads.GetAsync(TimeSpan.FromSeconds(4), CancellationToken.None));

        // No age allowed (pbm after an action): always afresh, and that read serves the next.
        Assert.Equal("read 3", await reads.GetAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Equal("read 4", await reads.GetAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Equal("read 4", await reads.GetAsync(TimeSpan.FromSeconds(4), CancellationToken.None));
        Assert.Equal(4, source.Reads);
    }

    [Fact]
    public async Task Callers_at_the_same_time_share_one_read_unless_they_allow_no_age()
    {
        var source = new Counted { Gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously) };
        var reads = new RecentRead<string>(source.ReadAsync, new ManualTimeProvider());

        var first = reads.GetAsync(TimeSpan.FromSeconds(4), CancellationToken.None);
        var second = reads.GetAsync(TimeSpan.FromSeconds(4), CancellationToken.None);
        var fresh = reads.GetAsync(TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(2, source.Reads);
        source.Gate.SetResult("the totals");
        Assert.Equal(["the totals", "the totals", "the totals"], await Task.WhenAll(first, second, fresh));

        // A caller that gives up leaves the shared read to the others.
        source.Gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var gone = new CancellationTokenSource();
        var leaving = reads.GetAsync(TimeSpan.Zero, gone.Token);
        var staying = reads.GetAsync(TimeSpan.Zero, CancellationToken.None);
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        source.Gate.SetResult("later");
        Assert.Equal("later", await staying);
    }
}
