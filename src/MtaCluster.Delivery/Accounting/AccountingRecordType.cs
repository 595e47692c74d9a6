using System.Text.Json.Serialization;

namespace MtaCluster.Delivery.Accounting;

/// <summary>What one accounting line records: a recipient's acceptance, an attempt's outcome, or an operator's removal.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AccountingRecordType>))]
public enum AccountingRecordType
{
    [JsonStringEnumMemberName("delivered")]
    Delivered,

    /// <summary>A temporary failure; the recipient stays queued.</summary>
    [JsonStringEnumMemberName("deferred")]
    Deferred,

    /// <summary>A permanent failure.</summary>
    [JsonStringEnumMemberName("bounced")]
    Bounced,

    /// <summary>The retry period ran out (4.4.7).</summary>
    [JsonStringEnumMemberName("expired")]
    Expired,

    /// <summary>
    /// Taken out of the queue by an operator (pbm mta message delete, mta queue purge) before it was
    /// delivered or failed: no DSN goes to the sender, and no line of the store's says how it ended but
    /// this one. A transaction already on the wire when it was taken out still writes its own line after.
    /// </summary>
    [JsonStringEnumMemberName("removed")]
    Removed,

    /// <summary>Accepted and committed to the spool (250 given), one per recipient; see <see cref="AccountingLogOptions.RecordReceived"/>.</summary>
    [JsonStringEnumMemberName("received")]
    Received,
}
