namespace MtaCluster.Node.Configuration;

/// <summary>What the node was asked to do on its command line.</summary>
public sealed record NodeCommandLine(string Command, string? ConfigPath, string? DataDir, IReadOnlyList<string> Rest)
{
    public const string RunCommand = "run";
    public const string HashPasswordCommand = "hash-password";
    public const string DkimKeygenCommand = "dkim-keygen";
    public const string SpoolBackupCommand = "spool-backup";
    public const string SpoolRestoreCommand = "spool-restore";

    public const string Usage = """
        usage: MtaCluster.Node [run] [--config PATH] [--data-dir DIR]
               MtaCluster.Node hash-password [PASSWORD]     (reads the password from stdin when not given)
               MtaCluster.Node dkim-keygen --domain DOMAIN --selector SELECTOR [--algorithm rsa|ed25519] [--bits 2048] [--out PATH]
                                                            (default PATH: DATA-DIR/dkim/SELECTOR.DOMAIN.pem; prints the TXT record)
               MtaCluster.Node spool-backup --out FILE      a verified copy of the spool, taken while the node runs
               MtaCluster.Node spool-restore --from FILE    replaces a stopped node's spool with a backup

          --config PATH    a YAML file layered over cluster-config/node.yaml
          --data-dir DIR   where the spool, certificates and logs live (default ./data)

        Every setting can also be set from the environment: MTA_Section__Key=value
        (for example MTA_Smtp__MaxMessageSize=52428800 or MTA_Delivery__Hold=true).
        Listeners are keyed by name (relay, submission, submissions): MTA_Smtp__Listeners__relay__Port=2526
        moves one port and keeps the rest; MTA_Smtp__Listeners__submissions__Enabled=false turns one off.
        SIGHUP reloads domains.yaml and the Logging levels and Delivery:Hold; SIGTERM stops cleanly.
        """;

    public static NodeCommandLine Parse(IReadOnlyList<string> args)
    {
        var command = RunCommand;
        string? config = null, dataDir = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--config":
                    config = ValueOf(args, ref i, arg);
                    break;
                case "--data-dir":
                    dataDir = ValueOf(args, ref i, arg);
                    break;
                case "-h" or "--help" or "help":
                    command = "help";
                    break;
                case RunCommand or HashPasswordCommand or DkimKeygenCommand or SpoolBackupCommand or SpoolRestoreCommand when i == 0:
                    command = arg;
                    break;
                default:
                    if (arg.StartsWith("--config=", StringComparison.Ordinal)) config = arg["--config=".Length..];
                    else if (arg.StartsWith("--data-dir=", StringComparison.Ordinal)) dataDir = arg["--data-dir=".Length..];
                    else if (arg.StartsWith('-') && command == RunCommand) throw new ArgumentException($"unknown option '{arg}'");
                    else rest.Add(arg);
                    break;
            }
        }
        if (command == RunCommand && rest.Count > 0) throw new ArgumentException($"unexpected argument '{rest[0]}'");
        return new NodeCommandLine(command, config, dataDir, rest);
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i, string option)
    {
        if (i + 1 >= args.Count) throw new ArgumentException($"{option} needs a value");
        return args[++i];
    }
}
