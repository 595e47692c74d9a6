namespace MtaCluster.Node.Spooling;

public enum SpoolProvider
{
    Sqlite,
    PostgreSql,
}
