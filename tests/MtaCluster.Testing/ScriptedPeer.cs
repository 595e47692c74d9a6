using System.Net;
using System.Net.Sockets;

namespace MtaCluster.Testing;

/// <summary>
/// An in-process SMTP server whose every move is the test's script, for the faults real servers
/// will not produce on demand. Each accepted connection runs the script with its index (0, 1, …).
/// </summary>
public sealed class ScriptedPeer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<PeerConnection, int, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = new();
    private readonly Task _acceptLoop;

    /// <param name="bindTo">Where to listen; a free port on 127.0.0.1 when null (another loopback address can stand for a second MX).</param>
    public ScriptedPeer(Func<PeerConnection, int, Task> script, IPEndPoint? bindTo = null)
    {
        _script = script;
        _listener = new TcpListener(bindTo ?? new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _acceptLoop = AcceptAsync();
    }

    public ScriptedPeer(SmtpDialogue dialogue, IPEndPoint? bindTo = null)
        : this((connection, _) => dialogue.RunAsync(connection), bindTo)
    {
    }

    public IPEndPoint EndPoint { get; }

    public List<PeerConnection> Connections { get; } = new();

    public List<Exception> Errors { get; } = new();

    /// <summary>Waits for every script started so far to end; rethrows what a script threw.</summary>
    public async Task FinishAsync()
    {
        Task[] running;
        lock (_running)
        {
            running = _running.ToArray();
        }

        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(15));
        lock (Errors)
        {
            if (Errors.Count > 0)
            {
                throw new AggregateException(Errors);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        foreach (PeerConnection connection in Connections)
        {
            connection.Abort();
        }

        Task[] running;
        lock (_running)
        {
            running = _running.ToArray();
        }

        await Task.WhenAny(Task.WhenAll(running), Task.Delay(5000));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        int index = 0;
        while (!_stop.IsCancellationRequested)
        {
            Socket socket = await _listener.AcceptSocketAsync(_stop.Token);
            var connection = new PeerConnection(socket);
            lock (Connections)
            {
                Connections.Add(connection);
            }

            int current = index++;
            Task run = Task.Run(async () =>
            {
                try
                {
                    await _script(connection, current);
                }
                catch (Exception e)
                {
                    lock (Errors)
                    {
                        Errors.Add(e);
                    }
                }
                finally
                {
                    connection.Close();
                }
            });
            lock (_running)
            {
                _running.Add(run);
            }
        }
    }
}
