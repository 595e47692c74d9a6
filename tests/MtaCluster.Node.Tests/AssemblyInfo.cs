namespace MtaCluster.Node.Tests;
