using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Cluster.Membership;

/// <summary>
/// Raises a member's events on a task of their own, in the order they happened, so a handler that
/// stops entities (or calls back into the member) never holds up a heartbeat: a late heartbeat is a
/// lapsed lease.
/// </summary>
internal sealed class ClusterEventDispatcher
{
    private readonly Channel<ClusterEvent> _queue = Channel.CreateUnbounded<ClusterEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Action<ClusterEvent> _raise;
    private readonly ILogger _logger;
    private readonly Task _loop;

    public ClusterEventDispatcher(Action<ClusterEvent> raise, ILogger logger)
    {
        _raise = raise;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Post(ClusterEvent clusterEvent) => _queue.Writer.TryWrite(clusterEvent);

    /// <summary>Raises what is queued, then ends.</summary>
    public Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        return _loop;
    }

    private async Task RunAsync()
    {
        await foreach (var clusterEvent in _queue.Reader.ReadAllAsync())
        {
            try
            {
                _raise(clusterEvent);
            }
            catch (Exception exception)
            {
                _logger.LogError(exception, "A handler of {Event} for shard {Shard} failed", clusterEvent.Kind, clusterEvent.Shard);
            }
        }
    }
}
