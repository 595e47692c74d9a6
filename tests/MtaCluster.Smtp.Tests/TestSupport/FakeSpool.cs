using System.Collections.Concurrent;
using System.Text;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>Records what was accepted; can be told to fail or to take its time like a group commit.</summary>
public sealed class FakeSpool : IMessageSpool
{
    private int _next;

    public ConcurrentQueue<ReceivedMessage> Accepted { get; } = new();

    public Func<ReceivedMessage, Exception?>? Fail { get; set; }

    public TimeSpan CommitDelay { get; set; }

    /// <summary>Sees each message as the session lends it, before the copy this spool keeps.</summary>
    public Action<ReceivedMessage>? Inspect { get; set; }

    public string NewMessageId() => "Q" + Interlocked.Increment(ref _next).ToString("D6");

    public async ValueTask AcceptAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        if (CommitDelay > TimeSpan.Zero) await Task.Delay(CommitDelay, cancellationToken);
        Inspect?.Invoke(message);
        if (Fail?.Invoke(message) is { } error) throw error;
        // The session returns the body's pooled segments once this completes, as it may with a real spool.
        Accepted.Enqueue(Kept(message));
    }

    private static ReceivedMessage Kept(ReceivedMessage m) => new()
    {
        Id = m.Id,
        ReversePath = m.ReversePath,
        Recipients = m.Recipients,
        DeclaredSize = m.DeclaredSize,
        BodyType = m.BodyType,
        SmtpUtf8 = m.SmtpUtf8,
        Return = m.Return,
        EnvelopeId = m.EnvelopeId,
        ClientAddress = m.ClientAddress,
        ClientHelo = m.ClientHelo,
        AuthenticatedUser = m.AuthenticatedUser,
        ListenerName = m.ListenerName,
        ReceivedAt = m.ReceivedAt,
        Content = m.Content.ToArray(),
    };

    public ReceivedMessage Single()
    {
        Assert.Single(Accepted);
        Accepted.TryPeek(out var message);
        return message!;
    }

    public static string Text(ReceivedMessage message) => Encoding.UTF8.GetString(message.Content.ToArray());

    /// <summary>Waits for the count, since a real client may see its 250 a moment before a test looks.</summary>
    public async Task WaitForCountAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Accepted.Count < count && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}
