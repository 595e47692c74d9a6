namespace MtaCluster.Smtp.Protocol;

/// <summary>The MAIL RET parameter of RFC 3461 §4.3.</summary>
public enum DsnReturn
{
    NotSpecified,
    Full,
    Headers,
}
