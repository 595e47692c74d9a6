namespace MtaCluster.Smtp.Protocol;

/// <summary>
/// The MAIL BODY parameter (RFC 6152). BINARYMIME (RFC 3030) is refused: mail is relayed onward
/// with DATA, which cannot carry it.
/// </summary>
public enum MessageBodyType
{
    NotSpecified,
    SevenBit,
    EightBitMime,
}
