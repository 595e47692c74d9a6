using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors.Sharding;

namespace MtaCluster.Actors;

/// <summary>
/// One actor: its mailbox, its current instance and its lifecycle. The cell is both the actor's
/// reference and its context.
/// </summary>
/// <remarks>
/// Scheduling: a tell that finds the actor idle queues the cell on the thread pool once; the pool
/// thread then drains up to <see cref="ActorSystemOptions.Throughput"/> messages in a synchronous
/// loop for as long as handlers complete synchronously. Only a handler that really awaits moves the
/// cell to the asynchronous path, which resumes draining when it completes. <c>_scheduled</c> is the
/// single-consumer guarantee: exactly one thread runs the cell while it is 1.
/// </remarks>
internal sealed class ActorCell : IInternalActorRef, IActorContext, IThreadPoolWorkItem
{
    [ThreadStatic]
    private static ActorCell? t_constructing;

    private readonly ActorSystem _system;
    private readonly Props _props;
    private readonly ActorCell? _parentCell;
    private readonly IActorRef _parent;
    private readonly Channel<Envelope> _mailbox;
    private readonly ChannelReader<Envelope> _reader;
    private readonly ChannelWriter<Envelope> _writer;
    private readonly SupervisorStrategy _strategy;
    private readonly int _throughput;

    private int _scheduled;
    private int _stopRequested;
    private int _terminated;
    private volatile bool _closed;
    private ActorBase? _actor;
    private IActorRef? _currentSender;
    private int _quietSweeps;
    private Exception? _failure;
    private CancellationTokenSource? _stoppingCts;
    private TaskCompletionSource? _terminatedTcs;
    private ConcurrentDictionary<string, ActorCell>? _children;
    private HashSet<ActorCell>? _watchers;
    private HashSet<IActorRef>? _watching;
    private TimerScheduler? _timers;
    private ILogger? _log;
    private Queue<DateTimeOffset>? _restarts;
    private int _childNameCounter;

    public ActorCell(ActorSystem system, Props props, string name, string path, ActorCell? parentCell, IActorRef parent, ShardEntity? entity)
    {
        _system = system;
        _props = props;
        Name = name;
        Path = path;
        _parentCell = parentCell;
        _parent = parent;
        Entity = entity;
        _mailbox = Mailbox.Create(props.Mailbox);
        _reader = _mailbox.Reader;
        _writer = _mailbox.Writer;
        _strategy = props.SupervisorStrategy ?? system.Options.DefaultSupervisorStrategy;
        _throughput = Math.Max(1, system.Options.Throughput);
    }

    internal static ActorCell? Constructing => t_constructing;

    public string Path { get; }

    public string Name { get; }

    public ActorSystem System => _system;

    /// <summary>Set for a sharded entity: where its leftovers go when it stops.</summary>
    internal ShardEntity? Entity { get; }

    internal bool IsTerminated => Volatile.Read(ref _terminated) != 0;

    internal Task WhenTerminated
    {
        get
        {
            if (IsTerminated)
            {
                return Task.CompletedTask;
            }

            var tcs = Volatile.Read(ref _terminatedTcs);
            if (tcs is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                tcs = Interlocked.CompareExchange(ref _terminatedTcs, created, null) ?? created;
            }

            if (IsTerminated)
            {
                tcs.TrySetResult();
            }

            return tcs.Task;
        }
    }

    // ---- IActorContext ------------------------------------------------------------------------

    public IActorRef Self => this;

    public IActorRef Sender => _currentSender ?? _system.DeadLetters;

    public IActorRef Parent => _parent;

    public ILogger Log => _log ??= _system.LoggerFactory.CreateLogger(_props.ActorType);

    public ITimerScheduler Timers => _timers ??= new TimerScheduler(this, _system.TimeProvider);

    public CancellationToken StoppingToken
    {
        get
        {
            var cts = Volatile.Read(ref _stoppingCts);
            if (cts is null)
            {
                var created = new CancellationTokenSource();
                cts = Interlocked.CompareExchange(ref _stoppingCts, created, null) ?? created;
                if (Volatile.Read(ref _stopRequested) != 0)
                {
                    CancelStopping(cts);
                }
            }

            return cts.Token;
        }
    }

    public IReadOnlyCollection<IActorRef> Children =>
        _children is { } children ? [.. children.Values] : [];

    public IActorRef ActorOf(Props props, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (Volatile.Read(ref _stopRequested) != 0)
        {
            throw new InvalidOperationException($"{Path} is stopping and cannot create children.");
        }

        name = ActorSystem.ValidateName(name) ?? "$" + Interlocked.Increment(ref _childNameCounter).ToString(CultureInfo.InvariantCulture);
        var children = _children ?? Interlocked.CompareExchange(ref _children, new ConcurrentDictionary<string, ActorCell>(), null) ?? _children!;
        var child = new ActorCell(_system, props, name, Path + "/" + name, this, this, null);
        if (!children.TryAdd(name, child))
        {
            throw new ArgumentException($"{Path} already has a child named '{name}'.", nameof(name));
        }

        child.Start();
        return child;
    }

    public IActorRef? Child(string name) =>
        _children is { } children && children.TryGetValue(name, out var child) ? child : null;

    public void Stop(IActorRef actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor is ActorCell cell)
        {
            cell.RequestStop();
        }
        else if (actor is IInternalActorRef other)
        {
            _ = other.StopAsync();
        }
    }

    public IActorRef Watch(IActorRef subject)
    {
        if (subject is not ActorCell cell)
        {
            throw new ArgumentException("Only actors created by an ActorSystem can be watched.", nameof(subject));
        }

        if ((_watching ??= []).Add(cell) && !cell.AddWatcher(this))
        {
            Tell(new Terminated(cell), cell);
        }

        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        if (subject is ActorCell cell && _watching is not null && _watching.Remove(cell))
        {
            cell.RemoveWatcher(this);
        }

        return subject;
    }

    // ---- IActorRef ----------------------------------------------------------------------------

    public void Tell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!TryEnqueue(message, sender))
        {
            _system.SendToDeadLetters(message, sender, this);
        }
    }

    public bool TryTell(object message, IActorRef? sender = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_writer.TryWrite(new Envelope(message, sender)))
        {
            Schedule();
            return true;
        }

        if (_closed)
        {
            _system.SendToDeadLetters(message, sender, this);
            return true;
        }

        return false;
    }

    public ValueTask TellAsync(object message, IActorRef? sender = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = new Envelope(message, sender);
        if (_writer.TryWrite(envelope))
        {
            Schedule();
            return default;
        }

        if (_closed)
        {
            _system.SendToDeadLetters(message, sender, this);
            return default;
        }

        return WaitForRoomAsync(envelope, cancellationToken);
    }

    public Task StopAsync()
    {
        RequestStop();
        return WhenTerminated;
    }

    public override string ToString() => Path;

    /// <summary>
    /// Enqueues unless the mailbox is closed (the actor is stopping). A full bounded mailbox parks
    /// the message in the channel's queue of waiting writers, which keeps arrival order.
    /// </summary>
    internal bool TryEnqueue(object message, IActorRef? sender)
    {
        var envelope = new Envelope(message, sender);
        if (_writer.TryWrite(envelope))
        {
            Schedule();
            return true;
        }

        if (_closed)
        {
            return false;
        }

        var write = _writer.WriteAsync(envelope);
        if (write.IsCompletedSuccessfully)
        {
            Schedule();
        }
        else
        {
            _ = AwaitParkedAsync(write, envelope);
        }

        return true;
    }

    internal void EnqueueTimerTick(TimerFired fired) => TryEnqueue(fired, null);

    internal void Start() => Schedule();

    internal void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            return;
        }

        _closed = true;
        _writer.TryComplete();
        if (Volatile.Read(ref _stoppingCts) is { } cts)
        {
            CancelStopping(cts);
        }

        Schedule();
    }

    internal void Unhandled(object message) => _system.SendToDeadLetters(message, _currentSender, this);

    /// <summary>
    /// Called by the passivation sweep: counts consecutive sweeps that found the actor with nothing
    /// queued or running and no turn since the previous sweep. Any turn resets the count, which costs
    /// the hot path one field test instead of reading the clock.
    /// </summary>
    internal int CountQuietSweep()
    {
        if (Volatile.Read(ref _scheduled) != 0 || _reader.TryPeek(out _))
        {
            Volatile.Write(ref _quietSweeps, 0);
            return 0;
        }

        var quiet = Volatile.Read(ref _quietSweeps) + 1;
        Volatile.Write(ref _quietSweeps, quiet);
        return quiet;
    }

    // ---- scheduling and the drain loop --------------------------------------------------------

    private void Schedule()
    {
        if (Volatile.Read(ref _scheduled) == 0 && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    public void Execute()
    {
        var actor = _actor;
        if (actor is null || Volatile.Read(ref _stopRequested) != 0)
        {
            _ = RunAsync(default);
            return;
        }

        var reader = _reader;
        for (var budget = _throughput; budget > 0 && reader.TryRead(out var envelope); budget--)
        {
            ValueTask pending;
            try
            {
                pending = Invoke(actor, envelope);
            }
            catch (Exception ex)
            {
                pending = ValueTask.FromException(ex);
            }

            if (!pending.IsCompletedSuccessfully || Volatile.Read(ref _stopRequested) != 0)
            {
                _ = RunAsync(pending);
                return;
            }
        }

        EndTurn();
    }

    private ValueTask Invoke(ActorBase actor, in Envelope envelope)
    {
        var message = envelope.Message;
        if (message is IAutoReceivedMessage)
        {
            switch (message)
            {
                case PoisonPill:
                    RequestStop();
                    return default;
                case TimerFired fired:
                    if (!fired.Scheduler.TryAccept(fired))
                    {
                        return default;
                    }

                    message = fired.Message;
                    break;
                case Terminated terminated:
                    // Once unwatched, a Terminated already on its way is not delivered (as in Akka).
                    if (_watching is null || !_watching.Remove(terminated.ActorRef))
                    {
                        return default;
                    }

                    break;
            }
        }

        _currentSender = envelope.Sender;
        return actor.InvokeReceive(message);
    }

    /// <summary>Leaves the running state, then takes it back if work arrived in between.</summary>
    private void EndTurn()
    {
        if (_quietSweeps != 0)
        {
            _quietSweeps = 0;
        }

        _currentSender = null;

        // A full fence between giving up the turn and looking at the mailbox: a writer enqueues and
        // then tests _scheduled, we clear _scheduled and then test the mailbox; one of us sees the other.
        Interlocked.Exchange(ref _scheduled, 0);
        if (_reader.TryPeek(out _) || Volatile.Read(ref _stopRequested) != 0)
        {
            Schedule();
        }
    }

    private async Task RunAsync(ValueTask pending)
    {
        try
        {
            try
            {
                await pending.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await OnFailureAsync(ex).ConfigureAwait(false);
            }

            while (true)
            {
                if (Volatile.Read(ref _stopRequested) != 0)
                {
                    await TerminateAsync().ConfigureAwait(false);
                    return;
                }

                if (_actor is not null)
                {
                    break;
                }

                await StartIncarnationAsync().ConfigureAwait(false);
            }

            EndTurn();
        }
        catch (Exception ex)
        {
            _system.RuntimeLog.LogCritical(ex, "Actor {Path} failed inside the runtime; stopping it", Path);
            RequestStop();
            if (!IsTerminated)
            {
                await TerminateAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task StartIncarnationAsync()
    {
        try
        {
            ActorBase instance;
            t_constructing = this;
            try
            {
                instance = _props.Factory();
            }
            finally
            {
                t_constructing = null;
            }

            _currentSender = null;
            await instance.InvokePreStart().ConfigureAwait(false);
            _actor = instance;
        }
        catch (Exception ex)
        {
            await OnFailureAsync(ex).ConfigureAwait(false);
        }
    }

    private async Task OnFailureAsync(Exception ex)
    {
        if (Volatile.Read(ref _stopRequested) != 0)
        {
            // Expected when stopping cancels a long-running handler through StoppingToken.
            _system.RuntimeLog.LogDebug(ex, "Actor {Path} ended its handler with an exception while stopping", Path);
            return;
        }

        Directive directive;
        try
        {
            directive = _strategy.Decider(ex);
        }
        catch (Exception deciderFailure)
        {
            _system.RuntimeLog.LogError(deciderFailure, "Supervisor decider of {Path} threw; stopping the actor", Path);
            directive = Directive.Stop;
        }

        switch (directive)
        {
            case Directive.Resume:
                _system.RuntimeLog.LogWarning(ex, "Actor {Path} failed; resuming with its current state", Path);
                return;
            case Directive.Stop:
                _system.RuntimeLog.LogError(ex, "Actor {Path} failed; stopping it", Path);
                _failure = ex;
                RequestStop();
                return;
        }

        var now = _system.TimeProvider.GetUtcNow();
        var restarts = _restarts ??= new Queue<DateTimeOffset>();
        while (restarts.Count > 0 && now - restarts.Peek() > _strategy.WithinTimeRange)
        {
            restarts.Dequeue();
        }

        if (restarts.Count >= _strategy.MaxNrOfRetries)
        {
            _system.RuntimeLog.LogError(
                ex,
                "Actor {Path} failed after {Restarts} restarts within {Window}; giving up and stopping it",
                Path,
                restarts.Count,
                _strategy.WithinTimeRange);
            _failure = ex;
            _system.EventStream.Publish(new ActorGaveUp(this, ex, restarts.Count));
            RequestStop();
            return;
        }

        restarts.Enqueue(now);
        var backoff = _strategy.BackoffFor(restarts.Count);
        _system.RuntimeLog.LogError(ex, "Actor {Path} failed; restarting it in {Backoff}", Path, backoff);

        var old = _actor;
        _actor = null;
        _timers?.CancelAll();
        await StopChildrenAsync().ConfigureAwait(false);
        if (old is not null)
        {
            await PostStopAsync(old).ConfigureAwait(false);
        }

        if (backoff > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(backoff, _system.TimeProvider, StoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped during the backoff; the drain loop sees the stop request next.
            }
        }
    }

    private async Task TerminateAsync()
    {
        _closed = true;
        _writer.TryComplete();
        _timers?.CancelAll();
        await StopChildrenAsync().ConfigureAwait(false);

        var actor = _actor;
        _actor = null;
        if (actor is not null)
        {
            await PostStopAsync(actor).ConfigureAwait(false);
        }

        List<Envelope>? leftovers = null;
        while (_reader.TryRead(out var envelope))
        {
            if (envelope.Message is not IAutoReceivedMessage)
            {
                (leftovers ??= []).Add(envelope);
            }
        }

        if (_watching is not null)
        {
            foreach (var watched in _watching)
            {
                (watched as ActorCell)?.RemoveWatcher(this);
            }

            _watching = null;
        }

        HashSet<ActorCell>? watchers;
        lock (_mailbox)
        {
            Interlocked.Exchange(ref _terminated, 1);
            watchers = _watchers;
            _watchers = null;
        }

        if (_parentCell?._children is { } siblings)
        {
            siblings.TryRemove(new KeyValuePair<string, ActorCell>(Name, this));
        }
        else if (_parentCell is null && Entity is null)
        {
            _system.RemoveTopLevel(this);
        }

        if (Entity is { } entity)
        {
            entity.Region.OnEntityTerminated(entity, this, leftovers);
        }
        else if (leftovers is not null)
        {
            foreach (var envelope in leftovers)
            {
                _system.SendToDeadLetters(envelope.Message, envelope.Sender, this);
            }
        }

        if (watchers is not null)
        {
            var terminated = new Terminated(this);
            foreach (var watcher in watchers)
            {
                watcher.Tell(terminated, this);
            }
        }

        if (_failure is not null)
        {
            _system.RuntimeLog.LogDebug("Actor {Path} stopped after failure {Failure}", Path, _failure.GetType().Name);
        }

        _currentSender = null;
        Volatile.Read(ref _terminatedTcs)?.TrySetResult();

        // _scheduled stays 1 for ever: a terminated cell is never run again.
    }

    private async Task StopChildrenAsync()
    {
        if (_children is not { IsEmpty: false } children)
        {
            return;
        }

        var stopping = new List<Task>();
        foreach (var child in children.Values)
        {
            child.RequestStop();
            stopping.Add(child.WhenTerminated);
        }

        await Task.WhenAll(stopping).ConfigureAwait(false);
    }

    private async Task PostStopAsync(ActorBase instance)
    {
        try
        {
            _currentSender = null;
            await instance.InvokePostStop().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _system.RuntimeLog.LogError(ex, "PostStop of {Path} threw", Path);
        }
    }

    private async ValueTask WaitForRoomAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        try
        {
            await _writer.WriteAsync(envelope, cancellationToken).ConfigureAwait(false);
            Schedule();
        }
        catch (ChannelClosedException)
        {
            Undeliverable(envelope);
        }
    }

    private async Task AwaitParkedAsync(ValueTask write, Envelope envelope)
    {
        try
        {
            await write.ConfigureAwait(false);
            Schedule();
        }
        catch (Exception)
        {
            Undeliverable(envelope);
        }
    }

    private void Undeliverable(Envelope envelope)
    {
        if (envelope.Message is TimerFired)
        {
            return;
        }

        if (Entity is { } entity)
        {
            entity.Region.Reroute(entity, envelope.Message, envelope.Sender);
        }
        else
        {
            _system.SendToDeadLetters(envelope.Message, envelope.Sender, this);
        }
    }

    private bool AddWatcher(ActorCell watcher)
    {
        lock (_mailbox)
        {
            if (IsTerminated)
            {
                return false;
            }

            (_watchers ??= []).Add(watcher);
            return true;
        }
    }

    private void RemoveWatcher(ActorCell watcher)
    {
        lock (_mailbox)
        {
            _watchers?.Remove(watcher);
        }
    }

    private void CancelStopping(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (AggregateException ex)
        {
            _system.RuntimeLog.LogWarning(ex, "A cancellation callback of {Path} threw while stopping", Path);
        }
    }
}
