using System.Threading.Channels;

namespace MtaCluster.Actors.Tests;

/// <summary>An IActorRef that records what it is told, so a test can await the messages in order.</summary>
internal sealed class TestProbe(string name = "probe") : IActorRef
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Channel<(object Message, IActorRef? Sender)> _received = Channel.CreateUnbounded<(object, IActorRef?)>();

    public string Path => "/test/" + name;

    public string Name => name;

    public IActorRef? LastSender { get; private set; }

    public object? LastMessage { get; private set; }

    public void Tell(object message, IActorRef? sender = null) => _received.Writer.TryWrite((message, sender));

    public bool TryTell(object message, IActorRef? sender = null)
    {
        Tell(message, sender);
        return true;
    }

    public ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken cancellationToken = default)
    {
        Tell(message, sender);
        return default;
    }

    public async Task<T> ExpectMsgAsync<T>(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? DefaultWait);
        try
        {
            var (message, sender) = await _received.Reader.ReadAsync(cts.Token);
            LastSender = sender;
            LastMessage = message;
            return Assert.IsAssignableFrom<T>(message);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{Path} got no {typeof(T).Name} within {within ?? DefaultWait}.");
        }
    }

    public async Task<List<T>> ExpectMsgsAsync<T>(int count, TimeSpan? within = null)
    {
        var all = new List<T>(count);
        for (var i = 0; i < count; i++)
        {
            all.Add(await ExpectMsgAsync<T>(within));
        }

        return all;
    }

    /// <summary>Discards what has arrived so far and says how much that was.</summary>
    public int Drain()
    {
        var count = 0;
        while (_received.Reader.TryRead(out _))
        {
            count++;
        }

        return count;
    }

    public async Task ExpectNoMsgAsync(TimeSpan duration)
    {
        await Task.Delay(duration);
        if (_received.Reader.TryRead(out var unexpected))
        {
            throw new Xunit.Sdk.XunitException($"{Path} got an unexpected {unexpected.Message}.");
        }
    }
}
