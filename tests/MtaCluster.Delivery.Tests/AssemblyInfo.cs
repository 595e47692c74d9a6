namespace MtaCluster.Delivery.Tests;
