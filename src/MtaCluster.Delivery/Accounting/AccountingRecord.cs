using System.Text.Json.Serialization;
using MtaCluster.Mail;

namespace MtaCluster.Delivery.Accounting;

/// <summary>
/// One delivery attempt's outcome for one recipient, the unit of the accounting log (PowerMTA's
/// <c>acct</c> record, one JSON object per line).
/// </summary>
public sealed record AccountingRecord
{
    public required AccountingRecordType Type { get; init; }

    /// <summary>When the outcome was known; written as ISO 8601 UTC.</summary>
    [JsonConverter(typeof(UtcTimestampJsonConverter))]
    public required DateTimeOffset Time { get; init; }

    public required string MessageId { get; init; }

    public required string Recipient { get; init; }

    /// <summary>The envelope sender, empty for the null reverse-path.</summary>
    public string? Sender { get; init; }

    public required string Domain { get; init; }

    /// <summary>The tenant the message was submitted as (<c>default</c> without AUTH).</summary>
    public string Tenant { get; init; } = "default";

    /// <summary><see cref="TransactionalLane"/> or <see cref="BulkLane"/>: the queue the recipient waited in.</summary>
    public string Lane { get; init; } = BulkLane;

    /// <summary>The message's X-MtaCluster-Campaign tag; null when it had none or the message was not read (a local failure before loading it).</summary>
    public string? Campaign { get; init; }

    public const string TransactionalLane = "transactional";
    public const string BulkLane = "bulk";

    /// <summary>The <see cref="Lane"/> field's value for a queue lane.</summary>
    public static string LaneOf(DeliveryLane lane) => lane == DeliveryLane.Transactional ? TransactionalLane : BulkLane;

    public string? MxHost { get; init; }

    public string? MxIp { get; init; }

    /// <summary>For a <c>received</c> record, the submitting client's address; left out of the others.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientIp { get; init; }

    /// <summary>For a <c>received</c> record, the AUTH identity the client submitted as; left out of the others.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AuthUser { get; init; }

    /// <summary>The local address the connection was made from (the egress pool's choice).</summary>
    public string? SourceIp { get; init; }

    /// <summary>For example <c>Tls13</c>; null for a cleartext connection.</summary>
    public string? TlsProtocol { get; init; }

    public string? TlsCipher { get; init; }

    /// <summary>The remote reply; null when there was none (connection failure, expiry without a reply).</summary>
    public AccountingReply? Reply { get; init; }

    /// <summary>The kebab-case bounce category; null for deliveries.</summary>
    public string? Category { get; init; }

    /// <summary>1 for the first delivery attempt.</summary>
    public int Attempt { get; init; }

    /// <summary>Seconds from queueing to this outcome.</summary>
    public double QueueSeconds { get; init; }

    /// <summary>For a deferral, when the next attempt is due: what happens to the message next, without opening the spool.</summary>
    [JsonConverter(typeof(UtcTimestampJsonConverter))]
    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>For every outcome but a delivery, when the recipient expires if still undelivered (queued time plus the policy's max age).</summary>
    [JsonConverter(typeof(UtcTimestampJsonConverter))]
    public DateTimeOffset? GiveUpAt { get; init; }
}
