namespace MtaCluster.Testing;

/// <summary>A seekable read-only message: a header, then a body of "x" lines generated on demand, so 35 MB costs no memory.</summary>
public sealed class GeneratedMessageStream(byte[] header, long bodyLength) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => header.Length + bodyLength;

    public override long Position { get; set; }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(count, Length - Position);
        for (int i = 0; i < n; i++)
        {
            long at = Position + i;
            buffer[offset + i] = at < header.Length ? header[at] : ((at - header.Length) % 78) switch
            {
                76 => (byte)'\r',
                77 => (byte)'\n',
                _ => (byte)'x',
            };
        }

        Position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => Position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
