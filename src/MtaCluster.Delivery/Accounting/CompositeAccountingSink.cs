using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MtaCluster.Delivery.Accounting;

/// <summary>Hands each record to several sinks; one failing sink does not keep the record from the others.</summary>
public sealed class CompositeAccountingSink : IAccountingSink
{
    private readonly IAccountingSink[] _sinks;
    private readonly ILogger _logger;

    public CompositeAccountingSink(IEnumerable<IAccountingSink> sinks, ILogger<CompositeAccountingSink>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _sinks = sinks.ToArray();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    public CompositeAccountingSink(params IAccountingSink[] sinks)
        : this((IEnumerable<IAccountingSink>)sinks)
    {
    }

    public void Record(AccountingRecord record)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                sink.Record(record);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "Accounting sink {Sink} failed for message {MessageId}", sink.GetType().Name, record.MessageId);
            }
        }
    }
}
