namespace MtaCluster.Mail;

/// <summary>The input is not valid xtext; <see cref="Position"/> is the offset of the first bad octet.</summary>
public sealed class XTextFormatException : FormatException
{
    public XTextFormatException(XTextError error, int position)
        : base($"Not valid xtext at offset {position}: {error}.")
    {
        Error = error;
        Position = position;
    }

    public XTextError Error { get; }

    public int Position { get; }
}
