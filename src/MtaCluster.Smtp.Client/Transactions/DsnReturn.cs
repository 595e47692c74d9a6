namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>The RET parameter of MAIL (RFC 3461 §4.3).</summary>
public enum DsnReturn
{
    Unspecified = 0,
    Full,
    Headers,
}
