namespace MtaCluster.Delivery.Scheduling;

/// <summary>A header field's bytes in the message, its folded lines and final CRLF included: what removing it takes out.</summary>
public readonly record struct HeaderRange(long Start, long Length)
{
    public long End => Start + Length;
}
