using System.Diagnostics;
using System.Net;

namespace MtaCluster.Testing;

/// <summary>
/// Postfix's smtp-sink on a free loopback port, with fault flags (see smtp-sink(1)), killed by its
/// process id on dispose. With <c>dump</c>, each message lands as a file in <see cref="DumpDirectory"/>.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string Program = "/usr/sbin/smtp-sink";
    private readonly Process _process;

    private SmtpSink(Process process, int port, string? dumpDirectory)
    {
        _process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        DumpDirectory = dumpDirectory;
    }

    public IPEndPoint EndPoint { get; }

    public string? DumpDirectory { get; }

    public static async Task<SmtpSink> StartAsync(bool dump = false, params string[] flags)
    {
        int port = FreePort.Next();
        string? dumpDirectory = null;
        var start = new ProcessStartInfo(Program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("-u");
        start.ArgumentList.Add("postfix");
        if (dump)
        {
            // smtp-sink drops to the postfix user before writing the files.
            dumpDirectory = Directory.CreateTempSubdirectory("smtp-sink-").FullName;
            ExternalProcess.MakeWorldWritable(dumpDirectory);
            start.ArgumentList.Add("-d");
            start.ArgumentList.Add(Path.Combine(dumpDirectory, "%H%M%S."));
        }

        foreach (string flag in flags)
        {
            start.ArgumentList.Add(flag);
        }

        start.ArgumentList.Add($"127.0.0.1:{port}");
        start.ArgumentList.Add("100");
        Process process = Process.Start(start)!;
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var sink = new SmtpSink(process, port, dumpDirectory);
        try
        {
            await FreePort.WaitListeningAsync(port, TimeSpan.FromSeconds(10));
        }
        catch
        {
            await sink.DisposeAsync();
            throw;
        }

        return sink;
    }

    /// <summary>The dumped messages, waiting until <paramref name="count"/> are complete.</summary>
    public async Task<string[]> WaitForDumpsAsync(int count)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            string[] files = Directory.GetFiles(DumpDirectory!);
            if (files.Length >= count || DateTime.UtcNow > deadline)
            {
                // A file is written while the message arrives; give the last one a moment.
                await Task.Delay(100);
                return files.Order().Select(File.ReadAllText).ToArray();
            }

            await Task.Delay(50);
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
        if (DumpDirectory is not null)
        {
            Directory.Delete(DumpDirectory, recursive: true);
        }
    }
}
