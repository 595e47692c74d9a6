namespace MtaCluster.Mail;

/// <summary>
/// The BODY parameter of MAIL (RFC 6152 §2, RFC 3030 §3). A MAIL command without BODY declares
/// <see cref="SevenBit"/> (RFC 6152 §2), so there is no separate "not given".
/// </summary>
public enum MessageBodyType
{
    /// <summary>BODY=7BIT, or no BODY parameter.</summary>
    SevenBit = 0,

    /// <summary>BODY=8BITMIME (RFC 6152): lines of octets, 8-bit allowed, still CRLF and no NUL.</summary>
    EightBitMime,

    /// <summary>BODY=BINARYMIME (RFC 3030 §3): arbitrary octets, which only BDAT can carry.</summary>
    BinaryMime,
}
