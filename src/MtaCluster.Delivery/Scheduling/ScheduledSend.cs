using MtaCluster.Mail;

namespace MtaCluster.Delivery.Scheduling;

/// <summary>One decision of a <see cref="DomainSendScheduler{T}"/>: what to send next, and whose it is.</summary>
public readonly record struct ScheduledSend<T>(T Item, DeliveryLane Lane, int Tenant);
