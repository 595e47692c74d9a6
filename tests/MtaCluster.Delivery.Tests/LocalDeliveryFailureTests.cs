using MtaCluster.Delivery.Retries;

namespace MtaCluster.Delivery.Tests;

public sealed class LocalDeliveryFailureTests
{
    [Fact]
    public void The_count_in_a_row_is_read_back_from_the_reply_it_wrote()
    {
        var error = new InvalidOperationException("boom (1 of 3)");
        for (var n = 1; n < LocalDeliveryFailure.MaxInARow; n++)
        {
            var reply = LocalDeliveryFailure.Reply(n, error);
            Assert.Equal((451, "4.3.0"), (reply.Code, reply.EnhancedCode?.ToString()));
            Assert.Equal(n, LocalDeliveryFailure.InARow(reply.ToLine()));
            Assert.False(LocalDeliveryFailure.IsFinal(n));
        }
        var last = LocalDeliveryFailure.Reply(LocalDeliveryFailure.MaxInARow, error);
        Assert.Equal((554, "5.3.0"), (last.Code, last.EnhancedCode?.ToString()));
        Assert.True(LocalDeliveryFailure.IsFinal(LocalDeliveryFailure.MaxInARow));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("451 4.2.0 Mailbox busy")]
    [InlineData("451 4.3.0 local error delivering the message (x of 3 in a row): no count")]
    [InlineData("250 2.0.0 Ok")]
    public void Any_other_last_reply_starts_the_count_again(string? lastReply) => Assert.Equal(0, LocalDeliveryFailure.InARow(lastReply));
}
