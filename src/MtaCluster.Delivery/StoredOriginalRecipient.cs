namespace MtaCluster.Delivery;

/// <summary>A recipient's ORCPT as the spool keeps it: decoded, "addr-type;address" (RFC 3461 §4.2).</summary>
internal static class StoredOriginalRecipient
{
    /// <summary>The addr-type and the address, or null when there is no ORCPT or it has no addr-type.</summary>
    public static (string Type, string Address)? Split(string? stored)
    {
        if (stored is null) return null;
        var semicolon = stored.IndexOf(';');
        return semicolon > 0 ? (stored[..semicolon], stored[(semicolon + 1)..]) : null;
    }
}
