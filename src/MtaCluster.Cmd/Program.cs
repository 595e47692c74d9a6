return await MtaCluster.Cmd.PbmApp.RunAsync(args);
