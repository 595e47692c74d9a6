namespace MtaCluster.Smtp.Client.Tests;
