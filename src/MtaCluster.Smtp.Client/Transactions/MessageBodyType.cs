namespace MtaCluster.Smtp.Client.Transactions;

/// <summary>The BODY parameter of MAIL (RFC 6152 §2).</summary>
public enum MessageBodyType
{
    /// <summary>No BODY parameter.</summary>
    Unspecified = 0,

    /// <summary>BODY=7BIT, sent only to servers that announce 8BITMIME.</summary>
    SevenBit,

    /// <summary>BODY=8BITMIME: refused locally (5.6.3) when the server does not announce 8BITMIME.</summary>
    EightBitMime,
}
