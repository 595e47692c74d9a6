using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Actors.Sharding;

/// <summary>
/// Routes messages of one entity type to their entities, creating them on demand and passivating
/// them when idle.
/// </summary>
/// <remarks>
/// The region is a reference, not an actor: routing runs on the caller's thread so that a message
/// crosses one mailbox (the entity's), not three (region, shard, entity) as in Akka. The fast path
/// is lock-free: a running entity of an active local shard gets the message straight into its
/// mailbox. Everything else (first message, passivation, hand-off) takes the shard's lock.
///
/// Order per sender is kept across passivation: a message that still got into a stopping entity's
/// mailbox is a leftover and is put back in front of the messages buffered since, and the next
/// incarnation receives them all in that order.
/// </remarks>
internal sealed class ShardRegion : IInternalActorRef, IDisposable
{
    private readonly ActorSystem _system;
    private readonly Func<string, Props> _entityProps;
    private readonly IMessageExtractor _extractor;
    private readonly ShardingSettings _settings;
    private readonly IShardOwnership _ownership;
    private readonly IShardForwarder? _forwarder;
    private readonly ConcurrentDictionary<string, Shard> _shards = new();
    private readonly ConcurrentDictionary<string, ShardEntity> _entities = new();
    private readonly ITimer? _passivationTimer;
    private readonly int _quietSweepsToPassivate;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sweeping;
    private int _stopping;

    public ShardRegion(
        ActorSystem system,
        string typeName,
        Func<string, Props> entityProps,
        IMessageExtractor extractor,
        ShardingSettings settings,
        IShardOwnership ownership,
        IShardForwarder? forwarder)
    {
        _system = system;
        TypeName = typeName;
        Path = "/system/sharding/" + typeName;
        _entityProps = entityProps;
        _extractor = extractor;
        _settings = settings;
        _ownership = ownership;
        _forwarder = forwarder;

        if (settings.PassivateIdleEntityAfter is { } idle && idle > TimeSpan.Zero)
        {
            var time = system.TimeProvider;
            var interval = settings.PassivationCheckInterval is { } configured && configured > TimeSpan.Zero
                ? configured
                : TimeSpan.FromTicks(Math.Max(idle.Ticks / 2, TimeSpan.TicksPerMillisecond));

            // An entity is idle once this many sweeps in a row found it quiet: between idle and idle + interval.
            _quietSweepsToPassivate = (int)Math.Clamp(Math.Ceiling(idle.Ticks / (double)interval.Ticks) + 1, 2, int.MaxValue);
            _passivationTimer = time.CreateTimer(static state => ((ShardRegion)state!).PassivateIdleEntities(), this, interval, interval);
        }
    }

    public string TypeName { get; }

    public string Path { get; }

    public string Name => TypeName;

    public ActorSystem System => _system;

    private bool IsStopping => Volatile.Read(ref _stopping) != 0;

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message is IShardRegionCommand command)
        {
            Handle(command, sender);
            return;
        }

        var entityId = _extractor.EntityId(message);
        if (entityId is null)
        {
            _system.RuntimeLog.LogWarning("Region {TypeName} got {MessageType} with no entity id", TypeName, message.GetType().Name);
            _system.SendToDeadLetters(message, sender, this);
            return;
        }

        var entityMessage = _extractor.EntityMessage(message);
        if (_entities.TryGetValue(entityId, out var entity)
            && entity.Shard.Status == ShardStatus.Active
            && entity.Cell is { } cell
            && _ownership.IsLocal(TypeName, entity.Shard.Id)
            && cell.TryEnqueue(entityMessage, sender))
        {
            return;
        }

        Route(_extractor.ShardId(entityId, message), entityId, entityMessage, sender);
    }

    public bool TryTell(object message, IActorRef? sender = null)
    {
        Tell(message, sender);
        return true;
    }

    /// <summary>Same as <see cref="Tell"/>: an entity's bounded mailbox parks rather than making the router wait.</summary>
    public ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken cancellationToken = default)
    {
        Tell(message, sender);
        return default;
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }

        _passivationTimer?.Dispose();
        var stopping = new List<Task>();
        var undeliverable = new List<BufferedMessage>();
        foreach (var shard in _shards.Values)
        {
            lock (shard)
            {
                foreach (var entity in shard.Entities.Values)
                {
                    if (entity.Cell is { } cell)
                    {
                        stopping.Add(cell.StopAsync());
                    }
                }

                if (shard.Buffered is { } buffered)
                {
                    undeliverable.AddRange(buffered);
                    shard.Buffered = null;
                }
            }
        }

        await Task.WhenAll(stopping).ConfigureAwait(false);
        foreach (var message in undeliverable)
        {
            _system.SendToDeadLetters(message.Message, message.Sender, this);
        }

        _system.RemoveRegion(TypeName);
        _stopped.TrySetResult();
    }

    public void Dispose() => _passivationTimer?.Dispose();

    public override string ToString() => Path;

    /// <summary>Called by an entity's cell once it has fully stopped, with what was left in its mailbox.</summary>
    internal void OnEntityTerminated(ShardEntity entity, ActorCell cell, List<Envelope>? leftovers)
    {
        var shard = entity.Shard;
        List<BufferedMessage>? undeliverable = null;
        List<IActorRef>? handOffWaiters = null;
        lock (shard)
        {
            if (!ReferenceEquals(entity.Cell, cell))
            {
                undeliverable = ToBuffered(entity.Id, leftovers, null);
            }
            else
            {
                var pending = ToBuffered(entity.Id, leftovers, entity.Buffered);
                entity.Buffered = null;
                if (IsStopping)
                {
                    RemoveLocked(shard, entity);
                    undeliverable = pending;
                }
                else if (shard.Status != ShardStatus.Active)
                {
                    RemoveLocked(shard, entity);
                    if (pending is not null)
                    {
                        // Sent before anything buffered at shard level for this entity, so it goes first.
                        (shard.Buffered ??= []).InsertRange(0, pending);
                    }

                    if (shard.Status == ShardStatus.HandingOff && shard.HandOffStarted && shard.Entities.Count == 0)
                    {
                        handOffWaiters = CompleteHandOffLocked(shard);
                    }
                }
                else if (pending is { Count: > 0 })
                {
                    var next = NewIncarnation(entity);
                    foreach (var message in pending)
                    {
                        next.TryEnqueue(message.Message, message.Sender);
                    }

                    entity.Passivating = false;
                    entity.Cell = next;
                    next.Start();
                }
                else
                {
                    RemoveLocked(shard, entity);
                }
            }
        }

        if (undeliverable is not null)
        {
            foreach (var message in undeliverable)
            {
                _system.SendToDeadLetters(message.Message, message.Sender, this);
            }
        }

        ReplyShardStopped(shard, handOffWaiters);
    }

    /// <summary>A message parked for a full entity mailbox that closed before there was room.</summary>
    internal void Reroute(ShardEntity entity, object message, IActorRef? sender) =>
        Route(entity.Shard.Id, entity.Id, message, sender);

    private static List<BufferedMessage>? ToBuffered(string entityId, List<Envelope>? leftovers, List<BufferedMessage>? buffered)
    {
        if (leftovers is null)
        {
            return buffered;
        }

        var all = new List<BufferedMessage>(leftovers.Count + (buffered?.Count ?? 0));
        foreach (var envelope in leftovers)
        {
            all.Add(new BufferedMessage(entityId, envelope.Message, envelope.Sender));
        }

        if (buffered is not null)
        {
            all.AddRange(buffered);
        }

        return all;
    }

    private void Handle(IShardRegionCommand command, IActorRef? sender)
    {
        switch (command)
        {
            case EntityEnvelope envelope:
                Route(envelope.ShardId, envelope.EntityId, envelope.Message, sender);
                break;
            case Passivate passivate:
                OnPassivate(passivate, sender);
                break;
            case BeginHandOff begin:
                OnBeginHandOff(begin.ShardId);
                sender?.Tell(new BeginHandOffAck(begin.ShardId), this);
                break;
            case HandOff handOff:
                OnHandOff(handOff.ShardId, sender);
                break;
            case ShardHome home:
                OnShardHome(home.ShardId);
                break;
            case GetShardRegionState:
                sender?.Tell(CurrentState(), this);
                break;
            case GetShardRegionStats:
                sender?.Tell(CurrentStats(), this);
                break;
        }
    }

    private void Route(string shardId, string entityId, object message, IActorRef? sender)
    {
        if (IsStopping)
        {
            _system.SendToDeadLetters(message, sender, this);
            return;
        }

        var shard = _shards.GetOrAdd(shardId, static id => new Shard(id));
        lock (shard)
        {
            if (shard.Status != ShardStatus.Active)
            {
                (shard.Buffered ??= []).Add(new BufferedMessage(entityId, message, sender));
                return;
            }

            if (_ownership.IsLocal(TypeName, shardId))
            {
                DeliverLocked(shard, entityId, message, sender);
                return;
            }
        }

        Forward(shardId, entityId, message, sender);
    }

    private void DeliverLocked(Shard shard, string entityId, object message, IActorRef? sender)
    {
        if (!shard.Entities.TryGetValue(entityId, out var entity))
        {
            entity = new ShardEntity(this, shard, entityId);
            var cell = NewIncarnation(entity);
            entity.Cell = cell;
            shard.Entities.Add(entityId, entity);
            _entities[entityId] = entity;
            cell.Start();
        }

        if (!entity.Passivating && entity.Cell!.TryEnqueue(message, sender))
        {
            return;
        }

        // Stopping (passivated, or it stopped itself): the next incarnation gets this once the stop completes.
        entity.Passivating = true;
        (entity.Buffered ??= []).Add(new BufferedMessage(entityId, message, sender));
    }

    private ActorCell NewIncarnation(ShardEntity entity) =>
        _system.CreateEntityCell(_entityProps(entity.Id), entity.Id, Path + "/" + entity.Shard.Id + "/" + entity.Id, this, entity);

    private void RemoveLocked(Shard shard, ShardEntity entity)
    {
        shard.Entities.Remove(entity.Id);
        if (shard.Entities.Count == 0)
        {
            // Dictionaries keep their peak capacity; an emptied shard gives it back.
            shard.Entities.TrimExcess();
        }

        _entities.TryRemove(new KeyValuePair<string, ShardEntity>(entity.Id, entity));
        entity.Cell = null;
    }

    private void Forward(string shardId, string entityId, object message, IActorRef? sender)
    {
        if (_forwarder is null)
        {
            _system.RuntimeLog.LogWarning("Region {TypeName} does not own shard {ShardId} and has no forwarder", TypeName, shardId);
            _system.SendToDeadLetters(message, sender, this);
            return;
        }

        _forwarder.Forward(TypeName, new EntityEnvelope(shardId, entityId, message), sender);
    }

    private void OnPassivate(Passivate passivate, IActorRef? sender)
    {
        if (sender is not ActorCell { Entity: { } entity } cell || !ReferenceEquals(entity.Region, this))
        {
            _system.RuntimeLog.LogWarning("Region {TypeName} got Passivate from {Sender}, which is not one of its entities", TypeName, sender?.Path ?? "nobody");
            return;
        }

        lock (entity.Shard)
        {
            if (!ReferenceEquals(entity.Cell, cell) || entity.Passivating)
            {
                return;
            }

            entity.Passivating = true;
        }

        cell.Tell(passivate.StopMessage, this);
    }

    private void PassivateIdleEntities()
    {
        if (IsStopping || Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var (_, entity) in _entities)
            {
                var cell = entity.Cell;
                if (cell is null || entity.Passivating || cell.CountQuietSweep() < _quietSweepsToPassivate)
                {
                    continue;
                }

                lock (entity.Shard)
                {
                    if (!ReferenceEquals(entity.Cell, cell) || entity.Passivating || entity.Shard.Status != ShardStatus.Active)
                    {
                        continue;
                    }

                    entity.Passivating = true;
                }

                cell.Tell(_settings.HandOffStopMessage, this);
            }
        }
        catch (Exception ex)
        {
            _system.RuntimeLog.LogError(ex, "Region {TypeName} failed to passivate idle entities", TypeName);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private void OnBeginHandOff(string shardId)
    {
        var shard = _shards.GetOrAdd(shardId, static id => new Shard(id));
        lock (shard)
        {
            if (shard.Status == ShardStatus.Active)
            {
                shard.Status = ShardStatus.HandingOff;
            }
        }
    }

    private void OnHandOff(string shardId, IActorRef? sender)
    {
        var shard = _shards.GetOrAdd(shardId, static id => new Shard(id));
        var toStop = new List<ActorCell>();
        List<IActorRef>? waiters = null;
        lock (shard)
        {
            if (shard.Status == ShardStatus.HandedOff)
            {
                waiters = sender is null ? null : [sender];
            }
            else
            {
                shard.Status = ShardStatus.HandingOff;
                shard.HandOffStarted = true;
                if (sender is not null)
                {
                    (shard.HandOffWaiters ??= []).Add(sender);
                }

                foreach (var entity in shard.Entities.Values)
                {
                    if (!entity.Passivating && entity.Cell is { } cell)
                    {
                        entity.Passivating = true;
                        toStop.Add(cell);
                    }
                }

                if (shard.Entities.Count == 0)
                {
                    waiters = CompleteHandOffLocked(shard);
                }
            }
        }

        foreach (var cell in toStop)
        {
            cell.Tell(_settings.HandOffStopMessage, this);
        }

        ReplyShardStopped(shard, waiters);
    }

    private void OnShardHome(string shardId)
    {
        if (!_shards.TryGetValue(shardId, out var shard))
        {
            return;
        }

        lock (shard)
        {
            switch (shard.Status)
            {
                case ShardStatus.HandedOff:
                    FlushLocked(shard);
                    break;
                case ShardStatus.HandingOff when !shard.HandOffStarted || shard.Entities.Count == 0:
                    FlushLocked(shard);
                    break;
                case ShardStatus.HandingOff:
                    shard.HomeDecided = true;
                    break;
            }
        }
    }

    private List<IActorRef>? CompleteHandOffLocked(Shard shard)
    {
        shard.Status = ShardStatus.HandedOff;
        var waiters = shard.HandOffWaiters;
        shard.HandOffWaiters = null;
        if (shard.HomeDecided)
        {
            FlushLocked(shard);
        }

        return waiters;
    }

    /// <summary>Ends a hand-off: buffered messages go where ownership now says, still under the lock so nothing overtakes them.</summary>
    private void FlushLocked(Shard shard)
    {
        shard.Status = ShardStatus.Active;
        shard.HandOffStarted = false;
        shard.HomeDecided = false;
        var buffered = shard.Buffered;
        shard.Buffered = null;
        if (buffered is null)
        {
            return;
        }

        var local = _ownership.IsLocal(TypeName, shard.Id);
        foreach (var message in buffered)
        {
            if (local)
            {
                DeliverLocked(shard, message.EntityId, message.Message, message.Sender);
            }
            else
            {
                Forward(shard.Id, message.EntityId, message.Message, message.Sender);
            }
        }
    }

    private void ReplyShardStopped(Shard shard, List<IActorRef>? waiters)
    {
        if (waiters is null)
        {
            return;
        }

        var stopped = new ShardStopped(shard.Id);
        foreach (var waiter in waiters)
        {
            waiter.Tell(stopped, this);
        }
    }

    private CurrentShardRegionState CurrentState()
    {
        var shards = new List<ShardState>();
        foreach (var shard in _shards.Values)
        {
            lock (shard)
            {
                shards.Add(new ShardState(shard.Id, [.. shard.Entities.Keys]));
            }
        }

        return new CurrentShardRegionState(shards);
    }

    private ShardRegionStats CurrentStats()
    {
        var stats = new Dictionary<string, int>();
        foreach (var shard in _shards.Values)
        {
            lock (shard)
            {
                stats[shard.Id] = shard.Entities.Count;
            }
        }

        return new ShardRegionStats(stats);
    }
}
