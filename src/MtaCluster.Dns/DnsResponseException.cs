namespace MtaCluster.Dns;

/// <summary>
/// A response arrived but could not be used: it was malformed (bad lengths, compression loops,
/// truncated records) or every server answered unusably.
/// </summary>
public class DnsResponseException : DnsException
{
    public DnsResponseException(string message)
        : base(message)
    {
    }

    public DnsResponseException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
