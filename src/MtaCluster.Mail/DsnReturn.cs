namespace MtaCluster.Mail;

/// <summary>The RET parameter of MAIL (RFC 3461 §4.3): how much of the message a DSN returns.</summary>
public enum DsnReturn
{
    /// <summary>No RET parameter: the reporting MTA chooses (RFC 3461 §4.3).</summary>
    NotGiven = 0,

    /// <summary>RET=FULL.</summary>
    Full,

    /// <summary>RET=HDRS.</summary>
    Headers,
}
