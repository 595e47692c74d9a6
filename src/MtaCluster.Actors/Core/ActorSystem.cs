using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MtaCluster.Actors.Sharding;

namespace MtaCluster.Actors;

/// <summary>The root of a set of actors: creates them, stops them and owns their shared services.</summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ActorCell> _topLevel = new();
    private readonly ConcurrentDictionary<string, ShardRegion> _regions = new();
    private readonly TaskCompletionSource _whenTerminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _deadLetterCount;
    private int _nameCounter;
    private int _terminating;

    private ActorSystem(string name, ActorSystemOptions options, ILoggerFactory loggerFactory)
    {
        Name = name;
        Options = options;
        LoggerFactory = loggerFactory;
        RuntimeLog = loggerFactory.CreateLogger<ActorSystem>();
        DeadLetters = new DeadLetterActorRef(this);
    }

    public string Name { get; }

    public ActorSystemOptions Options { get; }

    public TimeProvider TimeProvider => Options.TimeProvider;

    public ILoggerFactory LoggerFactory { get; }

    public EventStream EventStream { get; } = new();

    /// <summary>Where undeliverable messages go: counted, logged at debug and published as <see cref="DeadLetter"/>.</summary>
    public IActorRef DeadLetters { get; }

    public long DeadLetterCount => Interlocked.Read(ref _deadLetterCount);

    /// <summary>Completes when <see cref="TerminateAsync"/> has stopped every actor.</summary>
    public Task WhenTerminated => _whenTerminated.Task;

    internal ILogger RuntimeLog { get; }

    public static ActorSystem Create(string name, ActorSystemOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new ActorSystem(name, options ?? new ActorSystemOptions(), loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>Creates a top-level actor at <c>/user/{name}</c>; it starts at once.</summary>
    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        ThrowIfTerminating();
        name = ValidateName(name) ?? "$" + Interlocked.Increment(ref _nameCounter).ToString(CultureInfo.InvariantCulture);
        var cell = new ActorCell(this, props, name, "/user/" + name, null, DeadLetters, null);
        if (!_topLevel.TryAdd(name, cell))
        {
            throw new ArgumentException($"An actor named '{name}' already exists.", nameof(name));
        }

        cell.Start();
        return cell;
    }

    /// <summary>
    /// Stops an actor gracefully: its current message completes (its <see cref="IActorContext.StoppingToken"/>
    /// is cancelled at once), its children stop, then its PostStop runs. Completes after that; queued
    /// messages go to dead letters.
    /// </summary>
    public Task StopAsync(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor is IInternalActorRef stoppable ? stoppable.StopAsync() : Task.CompletedTask;
    }

    /// <summary>
    /// Starts the shard region of an entity type and returns it. A message told to the region is
    /// routed by <paramref name="extractor"/> to its entity, which is created on its first message
    /// by <paramref name="entityProps"/>(entityId) and passivated when idle.
    /// </summary>
    public IActorRef StartShardRegion(
        string typeName,
        Func<string, Props> entityProps,
        IMessageExtractor extractor,
        ShardingSettings? settings = null,
        IShardOwnership? ownership = null,
        IShardForwarder? forwarder = null)
    {
        ArgumentNullException.ThrowIfNull(entityProps);
        ArgumentNullException.ThrowIfNull(extractor);
        ThrowIfTerminating();
        typeName = ValidateName(typeName) ?? throw new ArgumentException("A shard region needs a type name.", nameof(typeName));
        var region = new ShardRegion(this, typeName, entityProps, extractor, settings ?? new ShardingSettings(), ownership ?? LocalShardOwnership.Instance, forwarder);
        if (!_regions.TryAdd(typeName, region))
        {
            region.Dispose();
            throw new ArgumentException($"A shard region for '{typeName}' already exists.", nameof(typeName));
        }

        return region;
    }

    /// <summary>The region started for <paramref name="typeName"/>, or null.</summary>
    public IActorRef? ShardRegion(string typeName) =>
        _regions.TryGetValue(typeName, out var region) ? region : null;

    /// <summary>Stops every shard region and every actor (children before parents) and completes when all have stopped.</summary>
    public async Task TerminateAsync()
    {
        if (Interlocked.Exchange(ref _terminating, 1) != 0)
        {
            await _whenTerminated.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await Task.WhenAll(_regions.Values.Select(r => r.StopAsync())).ConfigureAwait(false);
            await Task.WhenAll(_topLevel.Values.Select(c => c.StopAsync())).ConfigureAwait(false);
        }
        finally
        {
            _whenTerminated.TrySetResult();
        }
    }

    public ValueTask DisposeAsync() => new(TerminateAsync());

    internal static string? ValidateName(string? name)
    {
        if (name is null)
        {
            return null;
        }

        if (name.Length == 0 || name.Contains('/') || name.StartsWith('$'))
        {
            throw new ArgumentException($"'{name}' is not a valid actor name: it must be non-empty, without '/' and not start with '$'.", nameof(name));
        }

        return name;
    }

    internal void RemoveTopLevel(ActorCell cell) =>
        _topLevel.TryRemove(new KeyValuePair<string, ActorCell>(cell.Name, cell));

    internal void RemoveRegion(string typeName) => _regions.TryRemove(typeName, out _);

    internal void SendToDeadLetters(object message, IActorRef? sender, IActorRef recipient)
    {
        Interlocked.Increment(ref _deadLetterCount);

        // An ask whose question cannot be delivered would otherwise only fail at its timeout.
        if (sender is PromiseActorRef promise)
        {
            promise.Fail(new AskTimeoutException($"Ask to {recipient.Path} failed: the recipient is not running."));
        }

        if (RuntimeLog.IsEnabled(LogLevel.Debug))
        {
            RuntimeLog.LogDebug(
                "Dead letter {MessageType} from {Sender} to {Recipient}",
                message.GetType().Name,
                sender?.Path ?? "nobody",
                recipient.Path);
        }

        if (EventStream.HasSubscribers && message is not DeadLetter)
        {
            EventStream.Publish(new DeadLetter(message, sender, recipient));
        }
    }

    internal ActorCell CreateEntityCell(Props props, string entityId, string path, IActorRef region, ShardEntity entity) =>
        new(this, props, entityId, path, null, region, entity);

    private void ThrowIfTerminating()
    {
        if (Volatile.Read(ref _terminating) != 0)
        {
            throw new InvalidOperationException($"Actor system '{Name}' is terminating.");
        }
    }
}
