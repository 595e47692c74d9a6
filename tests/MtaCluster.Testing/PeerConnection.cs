using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MtaCluster.Testing;

/// <summary>The server end of one connection to a <see cref="ScriptedPeer"/>: reads lines and raw data, records every read.</summary>
public sealed class PeerConnection
{
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public PeerConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
    }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Every line read, without CRLF.</summary>
    public List<string> Lines { get; } = new();

    /// <summary>What each socket read returned: one entry per read(2).</summary>
    public List<string> Reads { get; } = new();

    /// <summary>The reads after the greeting exchange that carry commands, for checking how they were grouped.</summary>
    public IEnumerable<string> Dialogue() => Reads.Where(r => !r.StartsWith("EHLO", StringComparison.Ordinal) && !r.StartsWith("HELO", StringComparison.Ordinal));

    public async Task SendAsync(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        await _stream.WriteAsync(bytes);
    }

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>One line without its CRLF; null when the client closed.</summary>
    public async Task<string?> ReadLineAsync()
    {
        byte[]? raw = await ReadRawLineAsync();
        if (raw is null)
        {
            return null;
        }

        string line = Encoding.UTF8.GetString(raw).TrimEnd('\r', '\n');
        Lines.Add(line);
        return line;
    }

    /// <summary>The message after 354, as sent (still dot-stuffed), without the final ".\r\n".</summary>
    public async Task<byte[]?> ReadDataAsync()
    {
        var data = new MemoryStream();
        while (true)
        {
            byte[]? line = await ReadRawLineAsync();
            if (line is null)
            {
                return null;
            }

            if (line.AsSpan().SequenceEqual(".\r\n"u8))
            {
                return data.ToArray();
            }

            data.Write(line);
        }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes of whatever comes, then stops listening.</summary>
    public async Task<int> ReadSomeAsync(int count)
    {
        int got = _end - _start;
        while (got < count && await FillAsync())
        {
            got = _end - _start;
        }

        _start = _end;
        return got;
    }

    public void Abort()
    {
        try
        {
            _socket.Close(0);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Close() => _stream.Dispose();

    private async Task<byte[]?> ReadRawLineAsync()
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                byte[] line = _buffer.AsSpan(_start, newline + 1 - _start).ToArray();
                _start = newline + 1;
                return line;
            }

            if (!await FillAsync())
            {
                return null;
            }
        }
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        using var timeout = new CancellationTokenSource(ReadLimit);
        int n;
        try
        {
            n = await _stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }

        if (n == 0)
        {
            return false;
        }

        Reads.Add(Encoding.UTF8.GetString(_buffer, _end, n));
        _end += n;
        return true;
    }
}
