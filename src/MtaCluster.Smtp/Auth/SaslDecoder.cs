using System.Text;

namespace MtaCluster.Smtp.Auth;

/// <summary>Decodes the client responses of the PLAIN (RFC 4616) and LOGIN SASL mechanisms.</summary>
public static class SaslDecoder
{
    public static bool TryDecodeBase64(string text, out string value)
    {
        value = "";
        // RFC 4954 §4: "=" is an empty initial response.
        if (text == "=") return true;
        var bytes = new byte[(text.Length * 3 + 3) / 4];
        if (!Convert.TryFromBase64String(text, bytes, out int written)) return false;
        try
        {
            value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>PLAIN: <c>[authzid] NUL authcid NUL passwd</c>; an authzid other than the authcid is refused.</summary>
    public static bool TryParsePlain(string decoded, out string userName, out string password)
    {
        userName = password = "";
        var parts = decoded.Split('\0');
        if (parts.Length != 3 || parts[1].Length == 0) return false;
        if (parts[0].Length != 0 && parts[0] != parts[1]) return false;
        userName = parts[1];
        password = parts[2];
        return true;
    }
}
