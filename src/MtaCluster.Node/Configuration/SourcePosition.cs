namespace MtaCluster.Node.Configuration;

/// <summary>A place in a configuration file, 1-based as editors show it.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
