using MtaCluster.Delivery.Domains;
using MtaCluster.Delivery.Retries;
using MtaCluster.Delivery.Tests.EndToEnd;
using MtaCluster.Mail;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Tests;

public sealed class LocalDeliveryFailureTests
{
    private const string Domain = "count.test";

    [Fact]
    public void The_reply_is_451_4_3_0_until_the_last_in_a_row_which_is_554_5_3_0()
    {
        var error = new InvalidOperationException("boom (1 of 3)");
        for (var n = 1; n < LocalDeliveryFailure.MaxInARow; n++)
        {
            var reply = LocalDeliveryFailure.Reply(n, error);
            Assert.Equal((451, "4.3.0"), (reply.Code, reply.EnhancedCode?.ToString()));
            Assert.Equal($"local error delivering the message ({n} of 3 in a row): InvalidOperationException: boom (1 of 3)", reply.Text);
            Assert.False(LocalDeliveryFailure.IsFinal(n));
        }
        var last = LocalDeliveryFailure.Reply(LocalDeliveryFailure.MaxInARow, error);
        Assert.Equal((554, "5.3.0"), (last.Code, last.EnhancedCode?.ToString()));
        Assert.True(LocalDeliveryFailure.IsFinal(LocalDeliveryFailure.MaxInARow));
    }

    [Fact]
    public async Task A_receiver_reply_that_reads_like_ours_does_not_advance_the_count()
    {
        await using var mta = await DeliveryHarness.StartAsync($"default:\n{DeliveryHarness.FastRetry}\n", remotePort: 9);
        var recipient = await EnqueueAsync(mta);

        await RecordAsync(mta, recipient, AttemptOutcome.Deferred, SmtpReply.Local(451, new EnhancedStatusCode(4, 3, 0), "local error"), localFailuresInARow: 1);
        await RecordAsync(mta, recipient, AttemptOutcome.Deferred, SmtpReply.Local(451, new EnhancedStatusCode(4, 3, 0), "local error"), localFailuresInARow: 2);
        Assert.Equal(2, (await ReadAsync(mta, recipient)).LocalFailures);

        // Word for word what we write ourselves, but heard from the receiver: its reply starts the count again.
        var lookalike = new SmtpReply(451, new EnhancedStatusCode(4, 3, 0), "local error delivering the message (2 of 3 in a row)");
        await RecordAsync(mta, recipient, AttemptOutcome.Deferred, lookalike);
        var after = await ReadAsync(mta, recipient);
        Assert.Equal(0, after.LocalFailures);
        Assert.Equal("451 4.3.0 local error delivering the message (2 of 3 in a row)", after.LastReply);
        Assert.Equal(RecipientState.Pending, after.State);
    }

    [Fact]
    public async Task A_reply_of_our_own_that_is_not_a_local_failure_leaves_the_count_and_a_delivery_resets_it()
    {
        await using var mta = await DeliveryHarness.StartAsync($"default:\n{DeliveryHarness.FastRetry}\n", remotePort: 9);
        var recipient = await EnqueueAsync(mta);
        await RecordAsync(mta, recipient, AttemptOutcome.Deferred, SmtpReply.Local(451, new EnhancedStatusCode(4, 3, 0), "local error"), localFailuresInARow: 1);

        // No host took the connection: nothing was learnt about the message, so it is not a new run.
        await RecordAsync(mta, recipient, AttemptOutcome.Deferred, SmtpReply.Local(421, new EnhancedStatusCode(4, 4, 1), "connection refused"), localReply: true);
        Assert.Equal((1, 2), ((await ReadAsync(mta, recipient)).LocalFailures, (await ReadAsync(mta, recipient)).Attempts));

        await RecordAsync(mta, recipient, AttemptOutcome.Delivered, new SmtpReply(250, new EnhancedStatusCode(2, 0, 0), "ok"));
        Assert.Equal(0, (await ReadAsync(mta, recipient)).LocalFailures);
    }

    private static async Task<QueuedRecipient> EnqueueAsync(DeliveryHarness mta)
    {
        // Put straight into the spool without waking the domain: only the test records attempts.
        var message = new SpoolMessage(QueueId.New(), "sender@example.com", [new SpoolRecipient($"u@{Domain}", Domain, 1)],
            "Subject: x\r\n\r\nx\r\n"u8.ToArray(), DateTimeOffset.UtcNow);
        await mta.Store.EnqueueAsync(message);
        return Assert.Single(await mta.Store.GetRecipientsAsync(message.Id));
    }

    private static async Task<QueuedRecipient> ReadAsync(DeliveryHarness mta, QueuedRecipient recipient) =>
        (await mta.Store.GetRecipientsAsync(recipient.MessageId)).Single(r => r.RecipientId == recipient.RecipientId);

    /// <summary>One attempt as a worker records it, on the recipient as the spool has it now.</summary>
    private static async Task RecordAsync(DeliveryHarness mta, QueuedRecipient recipient, AttemptOutcome outcome, SmtpReply reply,
        bool localReply = false, int? localFailuresInARow = null)
    {
        var recorder = new OutcomeRecorder(mta.Engine.Context, Domain, new RetrySchedule(RetrySettings.Default));
        recorder.Add(await ReadAsync(mta, recipient), "sender@example.com", outcome, reply, AttemptConnection.None,
            localReply || localFailuresInARow is not null, localFailuresInARow);
        await recorder.CommitAsync(CancellationToken.None);
    }
}
