namespace MtaCluster.Smtp.Tests;
