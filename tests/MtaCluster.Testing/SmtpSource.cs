using System.Diagnostics;

namespace MtaCluster.Testing;

/// <summary>
/// Postfix's smtp-source as a load generator: many parallel sessions, each sending many messages over
/// one connection (<c>-d</c>). Runs in the background; killed by its process id on dispose.
/// </summary>
public sealed class SmtpSource : IAsyncDisposable
{
    private const string Program = "/usr/sbin/smtp-source";
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private SmtpSource(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int Id => _process.Id;

    /// <summary>Starts sending <paramref name="messages"/> messages of <paramref name="size"/> bytes over <paramref name="sessions"/> sessions to 127.0.0.1:<paramref name="port"/>.</summary>
    public static SmtpSource Start(int port, int messages, int sessions, int size, string from, string to, int recipients = 1)
    {
        var start = new ProcessStartInfo(Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
                 {
                     "-d", "-s", sessions.ToString(), "-m", messages.ToString(), "-l", size.ToString(),
                     "-r", recipients.ToString(), "-f", from, "-t", to, $"127.0.0.1:{port}",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        return new SmtpSource(Process.Start(start)!);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for smtp-source to finish; throws with its output when it fails.</summary>
    public async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        string output = await _stdout + await _stderr;
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"smtp-source exited {_process.ExitCode}: {output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
