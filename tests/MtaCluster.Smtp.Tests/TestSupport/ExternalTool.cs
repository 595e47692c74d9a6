using System.Diagnostics;

namespace MtaCluster.Smtp.Tests.TestSupport;

/// <summary>Runs a real client program with a deadline, killing it (by its own PID) if it overruns.</summary>
public static class ExternalTool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static async Task<Result> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout, string? stdin = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new Result(-1, await stdout, await stderr + "\n(killed after " + timeout + ")");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
