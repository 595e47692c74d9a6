namespace MtaCluster.Storage.Tests;
