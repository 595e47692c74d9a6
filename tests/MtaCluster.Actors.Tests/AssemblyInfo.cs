namespace MtaCluster.Actors.Tests;
