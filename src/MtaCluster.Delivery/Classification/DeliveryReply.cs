namespace MtaCluster.Delivery.Classification;

/// <summary>
/// A remote server's reply as the delivery logic sees it: the basic code (RFC 5321 §4.2), the enhanced
/// status code if the server sent one (RFC 3463 / RFC 2034), and the text with continuation lines joined.
/// </summary>
public readonly record struct DeliveryReply(int Code, string? EnhancedCode, string Text)
{
    public bool IsSuccess => Code is >= 200 and < 300;

    public bool IsTransient => Code is >= 400 and < 500;

    public bool IsPermanent => Code is >= 500 and < 600;

    /// <summary>
    /// The reply as one line, <c>code enhanced text</c>, which is what backoff patterns and bounce rules
    /// match, so a pattern can anchor on the code (<c>^421</c>) or the enhanced code (<c>4\.7\.0</c>).
    /// </summary>
    public string ToLine() =>
        string.IsNullOrEmpty(EnhancedCode) ? $"{Code} {Text}" : $"{Code} {EnhancedCode} {Text}";

    public override string ToString() => ToLine();
}
