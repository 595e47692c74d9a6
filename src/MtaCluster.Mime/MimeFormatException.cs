namespace MtaCluster.Mime;

/// <summary>Input a lenient parser still cannot take: only a header past its size cap.</summary>
public sealed class MimeFormatException(string message) : Exception(message);
