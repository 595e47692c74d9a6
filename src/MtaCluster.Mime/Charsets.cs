using System.Text;

namespace MtaCluster.Mime;

/// <summary>Charset names as mail uses them, mapped to .NET encodings; unknown names give null, never an exception.</summary>
public static class Charsets
{
    private static readonly Lazy<bool> Registered = new(() =>
    {
        // gb2312, gbk, big5, iso-2022-jp, windows-125x are not in .NET's built-in set; the provider is process-wide, so once.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return true;
    });

    /// <summary>The encoding for <paramref name="name"/>, tolerating an RFC 2231 §5 "*language" suffix and quotes.</summary>
    public static Encoding? GetEncoding(string? name)
    {
        _ = Registered.Value;
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        int star = name.IndexOf('*');
        string charset = (star >= 0 ? name[..star] : name).Trim().Trim('"').ToLowerInvariant();
        charset = charset switch
        {
            // Mail in the wild labels GBK text gb2312; cp936 decodes both, and the superset gb18030 stays itself.
            // eucgb2312_cn and big5_tw are what Python's email.header writes for gb2312 and big5, so scripts send them often.
            "gb2312" or "gbk" or "x-gbk" or "cp936" or "euc-cn" or "eucgb2312_cn" or "x-euc-cn" => "gbk",
            "big5_tw" or "big5-tw" or "cp950" => "big5",
            "utf8" => "utf-8",
            _ => charset,
        };
        try
        {
            return Encoding.GetEncoding(charset);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
