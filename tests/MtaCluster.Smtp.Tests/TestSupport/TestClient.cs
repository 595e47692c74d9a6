using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>A bare SMTP client over pipes or a socket, reading whole (multi-line) replies.</summary>
public sealed class TestClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket? _socket;
    private readonly Stream? _raw;
    private SslStream? _tls;
    private PipeReader _reader;
    private PipeWriter _writer;

    public TestClient(PipeReader reader, PipeWriter writer)
    {
        _reader = reader;
        _writer = writer;
    }

    private TestClient(Socket socket)
    {
        _socket = socket;
        _raw = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_raw, new StreamPipeReaderOptions(leaveOpen: true));
        _writer = PipeWriter.Create(_raw, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public static async Task<TestClient> ConnectAsync(System.Net.IPEndPoint endPoint, bool implicitTls = false)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        var client = new TestClient(socket);
        if (implicitTls) await client.StartTlsAsync();
        return client;
    }

    public Task SendAsync(string text) => SendBytesAsync(Encoding.UTF8.GetBytes(text));

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _writer.WriteAsync(bytes);
    }

    /// <summary>Sends one command line and returns its reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync() ?? throw new IOException("Connection closed before a reply to " + line);
    }

    /// <summary>One whole reply, its lines joined by '\n'; null when the server closed the connection.</summary>
    public async Task<string?> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var lines = new List<string>();
        while (true)
        {
            var result = await _reader.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            while (TryReadLine(ref buffer, out var line))
            {
                lines.Add(line);
                if (line.Length < 4 || line[3] != '-')
                {
                    _reader.AdvanceTo(buffer.Start);
                    return string.Join('\n', lines);
                }
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return lines.Count == 0 ? null : string.Join('\n', lines);
        }
    }

    /// <summary>True when the server has closed its side (after any replies still unread are skipped).</summary>
    public async Task<bool> IsClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(cts.Token);
                _reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async Task StartTlsAsync()
    {
        await _reader.CompleteAsync();
        await _writer.CompleteAsync();
        _tls = new SslStream(_raw!, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await _tls.AuthenticateAsClientAsync("localhost");
        _reader = PipeReader.Create(_tls, new StreamPipeReaderOptions(leaveOpen: true));
        _writer = PipeWriter.Create(_tls, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _writer.CompleteAsync();
            await _reader.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        if (_tls is not null) await _tls.DisposeAsync();
        if (_raw is not null) await _raw.DisposeAsync();
        _socket?.Dispose();
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out string line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> bytes, "\r\n"u8))
        {
            line = "";
            return false;
        }
        line = Encoding.UTF8.GetString(bytes);
        buffer = buffer.Slice(reader.Position);
        return true;
    }
}
