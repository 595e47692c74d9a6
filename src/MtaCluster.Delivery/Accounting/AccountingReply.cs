namespace MtaCluster.Delivery.Accounting;

/// <summary>The remote reply as logged: basic code, enhanced code, text.</summary>
/// <remarks>
/// Not <see cref="MtaCluster.Mail.SmtpReply"/>: this is the accounting log's JSON record, whose
/// field names and plain-string enhanced code are a file format that log readers depend on.
/// </remarks>
public sealed record AccountingReply(int Code, string? Enhanced, string Text);
