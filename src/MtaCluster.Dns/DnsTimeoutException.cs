namespace MtaCluster.Dns;

/// <summary>No usable answer arrived from any configured server within the attempts allowed.</summary>
public class DnsTimeoutException : DnsException
{
    public DnsTimeoutException(string message)
        : base(message)
    {
    }

    public DnsTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
