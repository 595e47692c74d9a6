using System.Text;

namespace MtaCluster.Testing;

/// <summary>
/// The ordinary server side of an ESMTP conversation for a <see cref="ScriptedPeer"/>, with hooks
/// to change any reply. Answers line by line, so a pipelining client is answered in order.
/// </summary>
public sealed class SmtpDialogue
{
    public string Greeting { get; init; } = "220 peer.test ESMTP\r\n";

    public string[] Keywords { get; init; } = { "PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES", "DSN" };

    /// <summary>Returns the reply (with CRLF) for a command line, or null for the default.</summary>
    public Func<string, string?>? OnCommand { get; init; }

    /// <summary>Replaces the data phase after 354: return false to end the conversation.</summary>
    public Func<PeerConnection, Task<bool>>? OnData { get; init; }

    /// <summary>The final reply after the data, e.g. delayed.</summary>
    public Func<PeerConnection, Task>? AfterData { get; init; }

    public List<byte[]> Messages { get; } = new();

    /// <summary>A peer that offers STARTTLS, says 220 to it, then answers the ClientHello with something that is not TLS.</summary>
    public static async Task BrokenStartTlsAsync(PeerConnection connection)
    {
        await connection.SendAsync("220 peer.test ESMTP\r\n");
        await connection.ReadLineAsync();
        await connection.SendAsync("250-peer.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n");
        Xunit.Assert.Equal("STARTTLS", await connection.ReadLineAsync());
        await connection.SendAsync("220 2.0.0 Ready to start TLS\r\n");
        await connection.ReadSomeAsync(1);
        await connection.SendAsync("this is not a TLS record at all, sorry\r\n");
        await connection.ReadSomeAsync(1);
    }


    public async Task RunAsync(PeerConnection connection)
    {
        await connection.SendAsync(Greeting);
        if (!Greeting.StartsWith("220", StringComparison.Ordinal))
        {
            await connection.ReadLineAsync();
            return;
        }

        while (await connection.ReadLineAsync() is { } line)
        {
            string verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
            string? custom = OnCommand?.Invoke(line);
            if (custom is not null)
            {
                await connection.SendAsync(custom);
                if (custom.StartsWith("421", StringComparison.Ordinal))
                {
                    return;
                }

                continue;
            }

            switch (verb)
            {
                case "EHLO":
                    var reply = new StringBuilder("250-peer.test greets you\r\n");
                    for (int i = 0; i < Keywords.Length; i++)
                    {
                        reply.Append(i == Keywords.Length - 1 ? "250 " : "250-").Append(Keywords[i]).Append("\r\n");
                    }

                    if (Keywords.Length == 0)
                    {
                        reply = new StringBuilder("250 peer.test greets you\r\n");
                    }

                    await connection.SendAsync(reply.ToString());
                    break;
                case "HELO":
                    await connection.SendAsync("250 peer.test\r\n");
                    break;
                case "MAIL":
                    await connection.SendAsync("250 2.1.0 Ok\r\n");
                    break;
                case "RCPT":
                    await connection.SendAsync("250 2.1.5 Ok\r\n");
                    break;
                case "DATA":
                    await connection.SendAsync("354 End data with <CR><LF>.<CR><LF>\r\n");
                    if (OnData is not null)
                    {
                        if (!await OnData(connection))
                        {
                            return;
                        }

                        break;
                    }

                    byte[]? data = await connection.ReadDataAsync();
                    if (data is null)
                    {
                        return;
                    }

                    lock (Messages)
                    {
                        Messages.Add(data);
                    }

                    if (AfterData is not null)
                    {
                        await AfterData(connection);
                    }
                    else
                    {
                        await connection.SendAsync("250 2.0.0 Ok: queued as 4711\r\n");
                    }

                    break;
                case "RSET":
                    await connection.SendAsync("250 2.0.0 Ok\r\n");
                    break;
                case "NOOP":
                    await connection.SendAsync("250 2.0.0 Ok\r\n");
                    break;
                case "QUIT":
                    await connection.SendAsync("221 2.0.0 Bye\r\n");
                    return;
                default:
                    await connection.SendAsync("502 5.5.2 Error: command not recognized\r\n");
                    break;
            }
        }
    }
}
