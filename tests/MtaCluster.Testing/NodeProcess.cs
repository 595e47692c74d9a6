using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace MtaCluster.Testing;

/// <summary>A node started as a separate operating-system process, as an operator would run it.</summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly SemaphoreSlim _newLine = new(0);

    private NodeProcess(System.Diagnostics.Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public const string AdminListenVariable = "MTA_Admin__Listen";

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public IReadOnlyCollection<string> Output => _output;
    public string OutputText => string.Join(Environment.NewLine, _output);

    public static NodeProcess Start(string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "MtaCluster.Node.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        // A node must not pick up the test runner's MTA_ settings by accident.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MTA_", StringComparison.Ordinal)).ToList()) info.Environment.Remove(key);
        info.Environment["DOTNET_gcServer"] = "0";
        // Nodes run side by side in tests: none may take the admin endpoint's default port 9110. A test
        // about the endpoint passes MTA_Admin__Listen itself (a variable outranks node.yaml).
        info.Environment[AdminListenVariable] = "127.0.0.1:0";
        if (environment is not null)
        {
            foreach (var (key, value) in environment) info.Environment[key] = value;
        }
        return new NodeProcess(System.Diagnostics.Process.Start(info)!);
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        _newLine.Release();
    }

    /// <summary>Waits until a line of output contains <paramref name="text"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited && !_output.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"node exited ({_process.ExitCode}) before printing '{text}':{Environment.NewLine}{OutputText}");
            }
            try
            {
                await _newLine.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"node did not print '{text}' within {timeout}:{Environment.NewLine}{OutputText}");
            }
        }
    }

    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
