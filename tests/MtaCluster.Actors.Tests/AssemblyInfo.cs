namespace MtaCluster.Actors.Tests;

/// <summary>Tests that measure process-wide memory run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
