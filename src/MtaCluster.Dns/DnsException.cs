namespace MtaCluster.Dns;

/// <summary>Base of every error the resolver reports; callers can treat any of them as "DNS unavailable".</summary>
public class DnsException : Exception
{
    public DnsException(string message)
        : base(message)
    {
    }

    public DnsException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
