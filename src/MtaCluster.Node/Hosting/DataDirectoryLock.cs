namespace MtaCluster.Node.Hosting;

/// <summary>
/// One node per data directory: a running node holds an exclusive lock on <c>node.lock</c> there
/// (an advisory file lock the system drops when the process ends, however it ends), so a second
/// node, or a restore of the spool, on the same directory is refused instead of sharing its files.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "node.lock";

    private readonly FileStream _file;

    private DataDirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock, or returns null with why not (another process holds it, or the directory cannot be written).</summary>
    public static DataDirectoryLock? TryAcquire(string dataDirectory, out string? refusal)
    {
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            Directory.CreateDirectory(dataDirectory);
            // On Unix .NET turns FileShare.None into flock(LOCK_EX | LOCK_NB).
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            var pid = System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n");
            file.Write(pid);
            file.Flush();
            refusal = null;
            return new DataDirectoryLock(file);
        }
        // The lock refused: the file is there and another process holds it.
        catch (IOException ex) when (ex is not DirectoryNotFoundException && File.Exists(path))
        {
            refusal = $"another node is running on the data directory {dataDirectory} (process {HolderOf(path)} holds {path})";
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            refusal = $"the data directory {dataDirectory} cannot be used: {ex.Message}";
            return null;
        }
    }

    public void Dispose() => _file.Dispose();

    private static string HolderOf(string path)
    {
        try
        {
            using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var text = new StreamReader(reader);
            var pid = text.ReadLine()?.Trim();
            return string.IsNullOrEmpty(pid) ? "unknown" : pid;
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
