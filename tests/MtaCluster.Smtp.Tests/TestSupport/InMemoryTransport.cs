using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using MtaCluster.Smtp.Server;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>Two in-memory pipes standing in for a socket; counts flushes to check reply batching.</summary>
public sealed class InMemoryTransport : ISmtpTransport
{
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();
    private readonly CountingPipeWriter _output;

    public InMemoryTransport(IPAddress client)
    {
        RemoteEndPoint = new IPEndPoint(client, 40000);
        _output = new CountingPipeWriter(_toClient.Writer);
    }

    public PipeReader Input => _toServer.Reader;

    public PipeWriter Output => _output;

    public EndPoint? RemoteEndPoint { get; }

    public EndPoint? LocalEndPoint => new IPEndPoint(IPAddress.Loopback, 25);

    public bool IsSecure => false;

    public string? SecurityDescription => null;

    public int FlushCount => _output.FlushCount;

    public bool Disposed { get; private set; }

    /// <summary>The client's side.</summary>
    public PipeReader ClientInput => _toClient.Reader;

    public PipeWriter ClientOutput => _toServer.Writer;

    public ValueTask UpgradeToTlsAsync(SslServerAuthenticationOptions options, CancellationToken cancellationToken) =>
        throw new NotSupportedException("In-memory transport has no TLS.");

    public async ValueTask DisposeAsync()
    {
        Disposed = true;
        await _toServer.Reader.CompleteAsync();
        await _toClient.Writer.CompleteAsync();
    }

    private sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
    {
        public int FlushCount;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref FlushCount);
            return inner.FlushAsync(cancellationToken);
        }
    }
}
