namespace MtaCluster.Actors.Tests;

public sealed class MailboxTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("mailboxes");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.TerminateAsync();

    [Fact]
    public async Task A_full_bounded_mailbox_makes_TellAsync_wait_TryTell_refuse_and_Tell_park_in_order()
    {
        var probe = new TestProbe();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var actor = _system.ActorOf(Props.Create(() => new Gated(gate.Task, probe)).WithBoundedMailbox(4));

        actor.Tell("m0");
        Assert.Equal("m0", await probe.ExpectMsgAsync<string>());

        for (var i = 1; i <= 4; i++)
        {
            Assert.True(actor.TellAsync("m" + i).IsCompletedSuccessfully, $"m{i} fits in the mailbox");
        }

        var waiting = actor.TellAsync("m5");
        Assert.False(waiting.IsCompleted, "the fifth message must wait for room");
        Assert.False(actor.TryTell("m6"));
        actor.Tell("m7");
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await actor.TellAsync("m8", cancellationToken: cancel.Token));
        }

        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        gate.SetResult();
        await waiting;

        Assert.Equal(["m1", "m2", "m3", "m4", "m5", "m7"], await probe.ExpectMsgsAsync<string>(6));
        await probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
    }

    private sealed class Gated(Task gate, IActorRef probe) : ActorBase
    {
        protected override async ValueTask OnReceiveAsync(object message)
        {
            probe.Tell(message);
            await gate;
        }
    }
}
