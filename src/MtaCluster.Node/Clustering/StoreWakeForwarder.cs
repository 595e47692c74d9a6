using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MtaCluster.Actors;
using MtaCluster.Actors.Sharding;
using MtaCluster.Cluster.Wakeups;
using MtaCluster.Delivery.Domains;
using MtaCluster.Storage;

namespace MtaCluster.Node.Clustering;

/// <summary>
/// Carries a message for an entity of a shard another node owns as a wake-up through the store
/// (<c>NOTIFY</c>): nothing travels between nodes but "look in the store", because everything an
/// entity needs is written there before anyone is told. The region may call this under a shard's
/// lock, so it only queues; a background loop publishes, folding repeats. A wake-up lost to a full
/// queue or an unreachable store costs latency only: owners scan their shards on a timer.
/// </summary>
public sealed partial class StoreWakeForwarder : IShardForwarder, IAsyncDisposable
{
    private const int QueueCapacity = 65_536;

    private readonly PostgresWakePublisher _publisher;
    private readonly ILogger _logger;
    private readonly Channel<WakeNotification> _queue =
        Channel.CreateBounded<WakeNotification>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public StoreWakeForwarder(PostgresWakePublisher publisher, ILogger<StoreWakeForwarder> logger)
    {
        _publisher = publisher;
        _logger = logger;
        _loop = Task.Run(PublishLoopAsync);
    }

    public void Forward(string typeName, EntityEnvelope envelope, IActorRef? sender)
    {
        var type = typeName switch
        {
            // An operator's change must reach the entity as such, not as a plain wake, so the owner reads it.
            DeliveryEngine.DomainTypeName when envelope.Message is DomainControlChanged control => WakeNotification.DomainControlTypes[(int)control.Change],
            DeliveryEngine.DomainTypeName => WakeNotification.DomainType,
            DeliveryEngine.MessageTypeName => WakeNotification.MessageType,
            _ => null,
        };
        if (type is null || !int.TryParse(envelope.ShardId, NumberStyles.None, CultureInfo.InvariantCulture, out var shard)) return;
        _queue.Writer.TryWrite(new WakeNotification(type, shard, envelope.EntityId));
    }

    private async Task PublishLoopAsync()
    {
        var batch = new HashSet<WakeNotification>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (batch.Count < 1000 && _queue.Reader.TryRead(out var wake)) batch.Add(wake);
                foreach (var wake in batch)
                {
                    try
                    {
                        await _publisher.PublishAsync(wake, _stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogPublishFailed(ex, wake.EntityType, wake.EntityId);
                    }
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_queue.Writer.TryComplete()) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "wake-up for {EntityType} {EntityId} not published; its owner's due scan finds the work")]
    private partial void LogPublishFailed(Exception exception, string entityType, string entityId);
}
