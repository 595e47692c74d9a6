using System.Net.Sockets;
using System.Text;

namespace MtaCluster.Testing;

/// <summary>
/// A deliberately plain SMTP client for end-to-end tests: one command, one reply, so a test sees
/// exactly which reply it got before anything went wrong.
/// </summary>
public sealed class LineSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private LineSmtpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new StreamReader(_stream, Encoding.Latin1);
    }

    public static async Task<LineSmtpClient> ConnectAsync(int port, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port, cancellationToken);
        var client = new LineSmtpClient(tcp);
        var greeting = await client.ReadReplyAsync(cancellationToken);
        if (!greeting.StartsWith("220", StringComparison.Ordinal)) throw new IOException($"greeting: {greeting}");
        return client;
    }

    public async Task<string> CommandAsync(string line, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(Encoding.Latin1.GetBytes(line + "\r\n"), cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    /// <summary>Sends a message; returns the final reply to the end of DATA.</summary>
    public async Task<string> SendAsync(string from, IReadOnlyList<string> recipients, byte[] content, CancellationToken cancellationToken)
    {
        Expect(await CommandAsync($"MAIL FROM:<{from}>", cancellationToken), "250");
        foreach (var rcpt in recipients) Expect(await CommandAsync($"RCPT TO:<{rcpt}>", cancellationToken), "250");
        Expect(await CommandAsync("DATA", cancellationToken), "354");
        await _stream.WriteAsync(DotStuff(content), cancellationToken);
        await _stream.WriteAsync("\r\n.\r\n"u8.ToArray(), cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    public async Task<string> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var all = new StringBuilder();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken) ?? throw new IOException("connection closed");
            all.Append(line).Append('\n');
            if (line.Length < 4 || line[3] != '-') return all.ToString().TrimEnd('\n');
        }
    }

    private static void Expect(string reply, string code)
    {
        if (!reply.StartsWith(code, StringComparison.Ordinal)) throw new IOException($"expected {code}, got: {reply}");
    }

    /// <summary>Content is expected to end with CRLF and contain only CRLF line ends.</summary>
    private static byte[] DotStuff(byte[] content)
    {
        var text = Encoding.Latin1.GetString(content);
        if (text.StartsWith('.')) text = "." + text;
        text = text.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        if (text.EndsWith("\r\n", StringComparison.Ordinal)) text = text[..^2];
        return Encoding.Latin1.GetBytes(text);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await CommandAsync("QUIT", cts.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        _tcp.Dispose();
    }
}
