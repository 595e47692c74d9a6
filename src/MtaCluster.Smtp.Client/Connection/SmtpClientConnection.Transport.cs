using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MtaCluster.Mail;
using MtaCluster.Smtp.Client.Protocol;

namespace MtaCluster.Smtp.Client.Connection;

/// <summary>
/// The socket under the pipes: connecting, reading replies and flushing under per-stage timeouts,
/// turning every transport failure into an <see cref="SmtpFailure"/>, one operation at a time, closing.
/// </summary>
public sealed partial class SmtpClientConnection
{
    private static async Task<SmtpFailure?> OpenSocketAsync(Socket socket, IPEndPoint remote, IPAddress? localAddress, SmtpClientOptions options, CancellationToken cancellationToken)
    {
        if (localAddress is not null)
        {
            try
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }
            catch (SocketException e)
            {
                return new SmtpFailure(SmtpFailureKind.ConnectFailed, LocalReplies.ConnectFailed(remote, $"cannot bind {localAddress}: {e.SocketErrorCode}"), e.Message, e);
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(remote, timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SmtpFailure(SmtpFailureKind.ConnectTimeout, LocalReplies.ConnectTimeout(remote), $"No connection to {remote} within {options.ConnectTimeout}.");
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new SmtpFailure(SmtpFailureKind.ConnectRefused, LocalReplies.ConnectRefused(remote), e.Message, e),
                SocketError.TimedOut => new SmtpFailure(SmtpFailureKind.ConnectTimeout, LocalReplies.ConnectTimeout(remote), e.Message, e),
                _ => new SmtpFailure(SmtpFailureKind.ConnectFailed, LocalReplies.ConnectFailed(remote, e.SocketErrorCode.ToString()), e.Message, e),
            };
        }
    }

    private static (PipeReader Reader, PipeWriter Writer) CreatePipes(Stream stream) =>
        (PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true)),
         PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true)));

    // Pooled state machines: these run several times per message and mostly complete asynchronously.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SmtpReply> ReadReplyAsync(TimeSpan timeout, int cacheSlot, string stage)
    {
        CancellationToken token = Arm(timeout);
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync(token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool complete;
                SmtpReply? reply;
                SequencePosition consumed;
                try
                {
                    complete = _replies.TryRead(buffer, cacheSlot, out reply, out consumed);
                }
                catch (SmtpProtocolException e)
                {
                    _reader.AdvanceTo(buffer.End);
                    throw Fail(SmtpFailureKind.ProtocolError, LocalReplies.ProtocolError(RemoteEndPoint, stage, e.Message), $"Garbled reply {stage}: {e.Message}", e);
                }

                if (complete)
                {
                    _reader.AdvanceTo(consumed);
                    Disarm();

                    // RFC 5321 §3.8: 421 means the server is closing; nothing more will come.
                    if (reply!.Code == 421 && cacheSlot != SmtpReplyReader.NoCache)
                    {
                        throw Fail(SmtpFailureKind.ServiceClosing, reply, $"Server closing {stage}: {reply.ToLine()}");
                    }

                    return reply;
                }

                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    throw Fail(SmtpFailureKind.ConnectionDropped, LocalReplies.Dropped(RemoteEndPoint, stage), $"Connection closed by the server {stage}.");
                }
            }
        }
        catch (Exception e) when (e is not SmtpConnectionException)
        {
            throw Translate(e, stage);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync(TimeSpan timeout, string stage)
    {
        CancellationToken token = Arm(timeout);
        try
        {
            FlushResult result = await _writer.FlushAsync(token).ConfigureAwait(false);
            Disarm();
            if (result.IsCompleted)
            {
                throw Fail(SmtpFailureKind.ConnectionDropped, LocalReplies.Dropped(RemoteEndPoint, stage), $"Connection closed {stage}.");
            }
        }
        catch (Exception e) when (e is not SmtpConnectionException)
        {
            throw Translate(e, stage);
        }
    }

    private Exception Translate(Exception e, string stage)
    {
        if (e is OperationCanceledException)
        {
            if (_callerCancelled)
            {
                CloseTransport();
                return e;
            }

            return Fail(SmtpFailureKind.Timeout, LocalReplies.Timeout(RemoteEndPoint, stage), $"Timed out {stage}.", e);
        }

        if (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return Fail(SmtpFailureKind.ConnectionDropped, LocalReplies.Dropped(RemoteEndPoint, stage), $"Connection lost {stage}: {e.Message}", e);
        }

        return e;
    }

    /// <summary>Builds the failure, marks the connection unusable and closes the socket: after any of these the dialogue state is unknown.</summary>
    private SmtpConnectionException Fail(SmtpFailureKind kind, SmtpReply reply, string message, Exception? exception = null)
    {
        var failure = new SmtpFailure(kind, reply, message, exception);
        MarkUnusable(failure);
        CloseTransport();
        return new SmtpConnectionException(failure);
    }

    private async Task QuitUnlessClosingAsync(SmtpReply reply)
    {
        if (reply.Code != 421)
        {
            await SayQuitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>QUIT and wait briefly for 221; errors do not matter any more.</summary>
    private async Task SayQuitAsync()
    {
        try
        {
            SmtpCommandWriter.WriteQuit(_writer);
            await FlushAsync(_options.QuitTimeout, "sending QUIT").ConfigureAwait(false);
            await ReadReplyAsync(_options.QuitTimeout, SmtpReplyReader.NoCache, "after QUIT").ConfigureAwait(false);
        }
        catch (SmtpConnectionException)
        {
        }
    }

    private void MarkUnusable(SmtpFailure failure)
    {
        if (_usable)
        {
            _usable = false;
            Failure = failure;
        }
    }

    private void CloseTransport()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _usable = false;
        Failure ??= new SmtpFailure(SmtpFailureKind.NotUsable, LocalReplies.NotUsable(RemoteEndPoint), "Closed.");

        // The socket goes first: completing a stream pipe writer flushes what is buffered, which on
        // a live socket with a full send buffer would block, and on a dead one throws.
        _socket.Dispose();
        _tls?.Dispose();
        _network.Dispose();
        try
        {
            _reader.Complete();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
        }

        try
        {
            _writer.Complete();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
        }
    }

    private CancellationToken Arm(TimeSpan timeout)
    {
        if (_callerCancelled)
        {
            throw new OperationCanceledException();
        }

        _timer.CancelAfter(timeout);
        return _timer.Token;
    }

    private void Disarm()
    {
        if (!_timer.TryReset() && !_callerCancelled)
        {
            // The timer fired just after the operation finished; start over with a fresh one.
            _timer.Dispose();
            _timer = new CancellationTokenSource();
        }
    }

    private CancellationTokenRegistration Enter(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("An SMTP connection carries one operation at a time.");
        }

        if (cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _busy, 0);
            throw new OperationCanceledException(cancellationToken);
        }

        return cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((SmtpClientConnection)state!).OnCallerCancelled(), this)
            : default;
    }

    private void Exit(CancellationTokenRegistration registration)
    {
        registration.Dispose();
        Volatile.Write(ref _busy, 0);
    }

    private void OnCallerCancelled()
    {
        _callerCancelled = true;
        try
        {
            _timer.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
