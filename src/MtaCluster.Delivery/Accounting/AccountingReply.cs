namespace MtaCluster.Delivery.Accounting;

/// <summary>The remote reply as logged: basic code, enhanced code, text.</summary>
public sealed record AccountingReply(int Code, string? Enhanced, string Text);
