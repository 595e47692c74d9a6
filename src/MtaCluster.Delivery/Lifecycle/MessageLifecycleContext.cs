using Microsoft.Extensions.Logging;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Lifecycle;

/// <summary>What every message entity of a node shares.</summary>
/// <param name="onNewWork">Told about the recipients of each DSN once it is durable, so their domain wakes as for any new mail.</param>
/// <param name="maxAgeOf">
/// A destination domain's retry.max-age, for the Will-Retry-Until of delayed recipients whose own domain
/// did not send the tell; null (or a null answer) leaves that optional field out (RFC 3464 §2.3.9).
/// </param>
public sealed class MessageLifecycleContext(
    IQueueStore store,
    IDeliveryReportComposer composer,
    MessageLifecycleOptions options,
    int maxShards,
    ILoggerFactory loggerFactory,
    Action<IReadOnlyList<SpoolRecipient>> onNewWork,
    TimeProvider? time = null,
    Func<string, TimeSpan?>? maxAgeOf = null)
{
    public IQueueStore Store { get; } = store;
    public IDeliveryReportComposer Composer { get; } = composer;
    public MessageLifecycleOptions Options { get; } = options;
    public int MaxShards { get; } = maxShards;

    /// <summary>The shard of a DSN's recipient row: its domain's placement, as for any mail accepted.</summary>
    public Domains.DomainPlacement Placement { get; init; } = Domains.DomainPlacement.ByName(maxShards);
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
    public TimeProvider Time { get; } = time ?? TimeProvider.System;

    internal void OnNewWork(IReadOnlyList<SpoolRecipient> recipients) => onNewWork(recipients);

    internal TimeSpan? MaxAgeOf(string domain) => maxAgeOf?.Invoke(domain);
}
