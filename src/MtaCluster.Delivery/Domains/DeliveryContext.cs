using Microsoft.Extensions.Logging;
using MtaCluster.Delivery.Accounting;
using MtaCluster.Delivery.Classification;
using MtaCluster.Delivery.Policies;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Domains;

/// <summary>What every domain entity of a node shares.</summary>
public sealed class DeliveryContext(
    IQueueStore store,
    MailRouteResolver routes,
    DomainPolicyResolver policies,
    BounceClassifier classifier,
    IAccountingSink accounting,
    DeliveryOptions options,
    ILoggerFactory loggerFactory,
    TimeProvider? timeProvider = null)
{
    public IQueueStore Store { get; } = store;
    public MailRouteResolver Routes { get; } = routes;
    public DomainPolicyResolver Policies { get; } = policies;
    public BounceClassifier Classifier { get; } = classifier;
    public IAccountingSink Accounting { get; } = accounting;
    public DeliveryOptions Options { get; } = options;
    public ILoggerFactory LoggerFactory { get; } = loggerFactory;
    public TimeProvider Time { get; } = timeProvider ?? TimeProvider.System;
    public string HeloName { get; } = string.IsNullOrWhiteSpace(options.HeloName) ? Environment.MachineName.ToLowerInvariant() : options.HeloName!;
}
