using System.Diagnostics;

namespace MtaCluster.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster: <c>initdb</c> on a temp directory, run as the <c>postgres</c>
/// user (PostgreSQL refuses to run as root), listening on a free loopback port with trust
/// authentication. Tests get a database each (<see cref="CreateDatabaseAsync"/>) so they never share
/// rows. <see cref="CrashAsync"/> and <see cref="StartAsync()"/> are a crash and restart of the store.
/// Stopped, then its postmaster killed by pid if still alive, and its directory removed, on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private int _databases;
    private string[] _settings = [];

    private PostgresServer(string directory, string bin, int port)
    {
        _directory = directory;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_directory, "data");

    public string LogFile => Path.Combine(_directory, "log");

    /// <summary>The connection string of the built-in <c>postgres</c> database.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true";

    /// <summary>The newest installed server's bin directory, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Select(version => Path.Combine(version, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "initdb")))
            .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out int v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>Creates and starts a new cluster. Extra <c>-c name=value</c> settings may be given.</summary>
    public static async Task<PostgresServer> StartNewAsync(params string[] settings)
    {
        string bin = FindBinDirectory()
            ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql).");
        string directory = Directory.CreateTempSubdirectory("mta-pg-").FullName;
        await ExternalProcess.RunAsync("chown", "postgres", directory);
        await RunAsPostgresAsync(Path.Combine(bin, "initdb"), "-D", Path.Combine(directory, "data"),
            "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8");
        var server = new PostgresServer(directory, bin, FreePort.Next());
        server._settings = settings;
        await server.StartAsync();
        return server;
    }

    /// <summary>Starts the (stopped or crashed) server again on the same port and data, and waits until it accepts connections.</summary>
    public async Task StartAsync()
    {
        var options = new List<string>
        {
            $"-p {Port}", $"-k {_directory}", "-c listen_addresses=127.0.0.1", "-c max_connections=200",
            "-c fsync=on", "-c synchronous_commit=on",
        };
        options.AddRange(_settings.Select(setting => $"-c {setting}"));
        await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60",
            "-o", string.Join(' ', options), "start");
        await WaitAcceptingAsync();
    }

    /// <summary>Stops the server the way a crash does (<c>pg_ctl -m immediate</c>): no checkpoint, clients cut off.</summary>
    public Task CrashAsync() => StopAsync("immediate");

    /// <summary>Stops the server cleanly (<c>pg_ctl -m fast</c>).</summary>
    public Task StopAsync() => StopAsync("fast");

    /// <summary>Creates an empty database of its own and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await ExternalProcess.RunAsync("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(),
            "-U", "postgres", "-d", "postgres", "-c", $"CREATE DATABASE \"{name}\"");
        return ConnectionString(name);
    }

    /// <summary>Runs SQL through psql against a database (for assertions and fault injection outside the code under test).</summary>
    public Task<string> PsqlAsync(string database, string sql) =>
        ExternalProcess.RunAsync("psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(),
            "-U", "postgres", "-d", database, "-c", sql);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync("immediate");
        }
        catch (InvalidOperationException)
        {
            // Already stopped, or pg_ctl failed: the pid file below still ends it.
        }

        KillPostmaster();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task StopAsync(string mode)
    {
        if (!File.Exists(Path.Combine(DataDirectory, "postmaster.pid"))) return;
        await RunAsPostgresAsync(Path.Combine(_bin, "pg_ctl"), "-D", DataDirectory, "-m", mode, "-w", "-t", "60", "stop");
    }

    private void KillPostmaster()
    {
        string pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return;
        string? first = File.ReadLines(pidFile).FirstOrDefault();
        if (!int.TryParse(first, out int pid)) return;
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task WaitAcceptingAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ExternalProcess.RunAsync("psql", "-X", "-q", "-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres",
                    "-d", "postgres", "-c", "SELECT 1");
                return;
            }
            catch (InvalidOperationException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }
        }
    }

    private static Task<string> RunAsPostgresAsync(string program, params string[] arguments) =>
        ExternalProcess.RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments]);
}
