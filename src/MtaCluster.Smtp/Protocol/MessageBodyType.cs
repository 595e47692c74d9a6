namespace MtaCluster.Smtp.Protocol;

/// <summary>The MAIL BODY parameter: RFC 6152 (8BITMIME) and RFC 3030 (BINARYMIME).</summary>
public enum MessageBodyType
{
    NotSpecified,
    SevenBit,
    EightBitMime,
    BinaryMime,
}
