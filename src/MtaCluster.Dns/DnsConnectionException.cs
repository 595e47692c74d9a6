namespace MtaCluster.Dns;

/// <summary>The servers could not be reached at the socket level (refused, unreachable, reset).</summary>
public class DnsConnectionException : DnsException
{
    public DnsConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
