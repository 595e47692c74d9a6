namespace MtaCluster.Delivery.Policies;

/// <summary>A bounce classification rule as written.</summary>
public sealed class BounceRuleOptions
{
    /// <summary>A case-insensitive regex matched against <c>code enhanced text</c>.</summary>
    public string? Pattern { get; set; }

    /// <summary>A category name such as <c>spam-related</c>.</summary>
    public string? Category { get; set; }
}
