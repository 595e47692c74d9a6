namespace MtaCluster.Node.Configuration;

/// <summary>
/// One configuration mistake, rendered as the single line the node prints before it exits 2:
/// <c>error: SOURCE[:LINE:COLUMN]: KEY: PROBLEM</c>, the shape compilers use so editors can jump to it.
/// </summary>
/// <param name="Source">The file path, "environment variable MTA_…" or "command line".</param>
/// <param name="Key">The key path as the operator spelled it; null for a file-level problem such as a syntax error.</param>
public sealed record ConfigurationError(string Source, SourcePosition? Position, string? Key, string Problem)
{
    public override string ToString()
    {
        var where = Position is { } p ? $"{Source}:{p}" : Source;
        var text = Key is null ? $"{where}: {Problem}" : $"{where}: {Key}: {Problem}";
        // The contract is one line: a value or a parser message holding a line break must not split it.
        return text.ReplaceLineEndings(" ");
    }
}
