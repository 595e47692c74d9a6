namespace MtaCluster.Mime;

/// <summary>A Content-Type value (RFC 2045 §5.1): type/subtype and parameters, names case-insensitive.</summary>
public sealed class ContentType
{
    public ContentType(string mediaType, string mediaSubtype)
    {
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        ArgumentException.ThrowIfNullOrEmpty(mediaSubtype);
        MediaType = mediaType;
        MediaSubtype = mediaSubtype;
    }

    public string MediaType { get; }

    public string MediaSubtype { get; }

    public ParameterList Parameters { get; private init; } = new();

    public string MimeType => $"{MediaType}/{MediaSubtype}";

    public string? Charset
    {
        get => Parameters["charset"];
        set => Parameters["charset"] = value!;
    }

    public string? Boundary
    {
        get => Parameters["boundary"];
        set => Parameters["boundary"] = value!;
    }

    public bool IsMimeType(string mediaType, string mediaSubtype) =>
        string.Equals(MediaType, mediaType, StringComparison.OrdinalIgnoreCase)
        && (mediaSubtype == "*" || string.Equals(MediaSubtype, mediaSubtype, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a Content-Type value; false (never an exception) when there is no type/subtype.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ContentType? contentType)
    {
        contentType = null;
        if (text is null)
        {
            return false;
        }

        var tokenizer = new MimeTokenizer(text);
        tokenizer.SkipCfws();
        string type = tokenizer.ReadAtom("/;");
        tokenizer.SkipCfws();
        if (type.Length == 0 || tokenizer.Peek != '/')
        {
            return false;
        }

        tokenizer.Position++;
        tokenizer.SkipCfws();
        string subtype = tokenizer.ReadAtom(";");
        if (subtype.Length == 0)
        {
            return false;
        }

        contentType = new ContentType(type.ToLowerInvariant(), subtype.ToLowerInvariant()) { Parameters = ParameterList.Parse(ref tokenizer) };
        return true;
    }

    public static ContentType Parse(string text) =>
        TryParse(text, out ContentType? contentType) ? contentType : throw new FormatException($"Not a Content-Type: {text}");

    public override string ToString() => MimeType + Parameters;
}
