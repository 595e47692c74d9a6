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
    private long _messages;

    private SmtpSink(Process process, int port, string? dumpDirectory)
    {
        _process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        DumpDirectory = dumpDirectory;
    }

    public IPEndPoint EndPoint { get; }

    public string? DumpDirectory { get; }

    /// <summary>Messages received so far: the last <c>mesg=</c> counter smtp-sink printed (it prints them with <c>-c</c>, one update per event).</summary>
    public long MessagesReceived => Interlocked.Read(ref _messages);

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
        var sink = new SmtpSink(process, port, dumpDirectory);
        // The counters end in CR, not LF; the line reader splits on either.
        process.OutputDataReceived += (_, e) => sink.OnCounters(e.Data);
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
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

    private void OnCounters(string? line)
    {
        const string Key = "mesg=";
        int at = line?.LastIndexOf(Key, StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            return;
        }

        ReadOnlySpan<char> digits = line.AsSpan(at + Key.Length);
        int end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end]))
        {
            end++;
        }

        if (long.TryParse(digits[..end], out long count))
        {
            Interlocked.Exchange(ref _messages, count);
        }
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
