using System.Threading.Channels;

namespace MtaCluster.Actors;

/// <summary>Creates the channel behind an actor's mailbox.</summary>
internal static class Mailbox
{
    public static Channel<Envelope> Create(MailboxOptions options)
    {
        // The runtime never awaits the reader: it drains with TryRead when the actor is scheduled,
        // so one reader and synchronous continuations are safe and cheapest.
        if (options.BoundedCapacity is { } capacity)
        {
            return Channel.CreateBounded<Envelope>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            });
        }

        return Channel.CreateUnbounded<Envelope>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }
}
