namespace MtaCluster.StatusPage.Tests;

/// <summary>Every test here shares one node: starting a node costs more than the tests themselves.</summary>
[CollectionDefinition(Name)]
public sealed class StatusPageCollection : ICollectionFixture<StatusPageNodeFixture>
{
    public const string Name = "status page node";
}
