using Microsoft.Extensions.Logging;
using MtaCluster.Actors;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>
/// The store's side of the message lifecycle, on a timer: it hands every message marked complete and
/// not finished to its entity (after a crash, a lost wake-up or a failed write the store still says
/// what is left) and removes finished messages whose retention ran out. The first sweep runs at start.
/// Free pages are the store's own business: the SQLite spool hands them back in its quiet moments, in
/// steps apart from its commits, rather than once a minute in one step that a commit would wait for.
/// </summary>
/// <param name="ownedShards">The shards this node owns now, read at each sweep (a cluster); null: every shard <paramref name="ownsShard"/> accepts, read from one page of all.</param>
public sealed partial class MessageSweeper(IActorRef messages, MessageLifecycleContext context, Func<int, bool> ownsShard,
    Func<IReadOnlyCollection<int>>? ownedShards = null) : ActorBase
{
    private const string SweepTimer = "sweep";
    private const string MoreTimer = "sweep-more";
    private static readonly TimeSpan MorePause = TimeSpan.FromSeconds(1);

    /// <summary>Sweep now (tests, and an operator's request later); a sweep also runs on the timer.</summary>
    public sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    /// <summary>Answered to whoever sent <see cref="Sweep"/>, once it is done.</summary>
    public sealed record SweepDone(int Finishing, int Removed);

    private readonly ILogger _logger = context.LoggerFactory.CreateLogger<MessageSweeper>();

    protected override ValueTask PreStartAsync()
    {
        Timers.StartPeriodicTimer(SweepTimer, Sweep.Instance, TimeSpan.Zero, context.Options.SweepInterval);
        return default;
    }

    protected override async ValueTask OnReceiveAsync(object message)
    {
        if (message is not Sweep)
        {
            Unhandled(message);
            return;
        }
        var finishing = 0;
        var removed = 0;
        try
        {
            var page = context.Options.SweepPageSize;
            // One page per sweep: the entities finish it before the next sweep reads the table again.
            var completions = ownedShards is null
                ? await context.Store.GetCompletedMessagesAsync(null, page).ConfigureAwait(false)
                : await context.Store.GetCompletedMessagesOfShardsAsync(ownedShards(), page).ConfigureAwait(false);
            foreach (var completed in completions)
            {
                if (!ownsShard(completed.Shard)) continue;
                messages.Tell(new FinishMessage(completed.MessageId, completed.Reportable));
                finishing++;
            }
            // Also with retention switched off since: what was kept under it still has to go (one partial-index seek when nothing is).
            removed = await context.Store.DeleteRetainedMessagesAsync(context.Time.GetUtcNow(), page).ConfigureAwait(false);
            if (finishing > 0 || removed > 0) LogSwept(finishing, removed);
            // A full page means more wait (a crash left many, or a spool upgraded from before completions
            // were recorded): the next page comes shortly, not an interval later, so a million old
            // messages take minutes, not days. Entries re-read before their entity finished them are harmless.
            if (finishing + removed >= page && !Timers.IsTimerActive(MoreTimer)) Timers.StartSingleTimer(MoreTimer, Sweep.Instance, MorePause);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSweepFailed(ex);
        }
        if (!ReferenceEquals(Sender, Context.System.DeadLetters))
            Sender.Tell(new SweepDone(finishing, removed), Self);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "message sweep: {Finishing} complete messages handed to their entities, {Removed} retained messages removed")]
    private partial void LogSwept(int finishing, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "message sweep failed; the next one tries again")]
    private partial void LogSweepFailed(Exception exception);
}
