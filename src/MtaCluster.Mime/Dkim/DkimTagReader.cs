namespace MtaCluster.Mime.Dkim;

/// <summary>Reads one tag of a tag-list (RFC 6376 §3.2: tag=value pairs separated by ';', white space around both ignored).</summary>
internal static class DkimTagReader
{
    public static ReadOnlySpan<byte> Find(ReadOnlySpan<byte> tagList, ReadOnlySpan<byte> name)
    {
        while (!tagList.IsEmpty)
        {
            var semicolon = tagList.IndexOf((byte)';');
            var spec = semicolon < 0 ? tagList : tagList[..semicolon];
            tagList = semicolon < 0 ? default : tagList[(semicolon + 1)..];
            var equals = spec.IndexOf((byte)'=');
            if (equals < 0) continue;
            if (spec[..equals].Trim(" \t\r\n"u8).SequenceEqual(name)) return spec[(equals + 1)..].Trim(" \t\r\n"u8);
        }
        return default;
    }
}
