namespace MtaCluster.Dns.Tests;
