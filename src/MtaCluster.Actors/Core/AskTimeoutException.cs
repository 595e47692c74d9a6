namespace MtaCluster.Actors;

/// <summary>An ask got no reply in time, or its recipient had stopped.</summary>
public sealed class AskTimeoutException : TimeoutException
{
    public AskTimeoutException(string message)
        : base(message)
    {
    }

    public AskTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
