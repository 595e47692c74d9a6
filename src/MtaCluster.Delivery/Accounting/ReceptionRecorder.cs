using MtaCluster.Storage;

namespace MtaCluster.Delivery.Accounting;

/// <summary>
/// The <c>received</c> lines: one per recipient of a message just made durable, to the live event
/// stream while someone listens, and to the accounting log when it keeps them
/// (<see cref="AccountingLogOptions.RecordReceived"/>). It runs on the accept path, so with nobody to
/// read them nothing is built.
/// </summary>
public sealed class ReceptionRecorder(AccountingEventFeed feed, IAccountingSink? log = null)
{
    public void Record(SpoolMessage message)
    {
        if (log is null && feed.SubscriberCount == 0) return;
        var lane = AccountingRecord.LaneOf(message.Lane);
        foreach (var recipient in message.Recipients)
        {
            var record = new AccountingRecord
            {
                Type = AccountingRecordType.Received,
                Time = message.ReceivedAt,
                MessageId = message.Id,
                Recipient = recipient.Address,
                Sender = message.ReversePath,
                Domain = recipient.Domain,
                Tenant = message.Tenant,
                Lane = lane,
                Campaign = message.Campaign,
                ClientIp = message.ClientAddress,
                AuthUser = message.AuthenticatedUser,
            };
            feed.Record(record);
            log?.Record(record);
        }
    }
}
