namespace MtaCluster.Testing;

/// <summary>
/// A receiver for a <see cref="ScriptedPeer"/> that deals out faults at random from a seeded
/// <see cref="Random"/>: per connection a reset before the greeting, a 421 greeting or an ordinary
/// session; within a session a 421 that closes at MAIL, RCPT or DATA, and per recipient 250, 451,
/// 452 or 550. The same seed gives the same choices, so a failing case can be run again.
/// </summary>
public static class RandomReceiver
{
    public static Task RunAsync(PeerConnection connection, Random random)
    {
        var roll = random.Next(100);
        if (roll < 15)
        {
            // As good as refused: the client sees the connection reset before any greeting.
            connection.Abort();
            return Task.CompletedTask;
        }

        if (roll < 30)
        {
            return new SmtpDialogue { Greeting = "421 4.3.2 Service not available\r\n" }.RunAsync(connection);
        }

        return new SmtpDialogue { OnCommand = line => Reply(line, random) }.RunAsync(connection);
    }

    private static string? Reply(string line, Random random)
    {
        var roll = random.Next(100);
        if (line.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase))
        {
            return roll < 8 ? "421 4.4.2 Closing, idle too long\r\n" : null;
        }

        if (line.StartsWith("RCPT", StringComparison.OrdinalIgnoreCase))
        {
            return roll switch
            {
                < 8 => "421 4.3.0 Closing mid-session\r\n",
                < 28 => "451 4.2.0 Mailbox busy\r\n",
                < 38 => "550 5.1.1 No such user\r\n",
                < 43 => "452 4.5.3 Too many recipients\r\n",
                _ => null,
            };
        }

        if (line.StartsWith("DATA", StringComparison.OrdinalIgnoreCase))
        {
            return roll < 8 ? "421 4.3.0 Closing before data\r\n" : null;
        }

        return null;
    }
}
