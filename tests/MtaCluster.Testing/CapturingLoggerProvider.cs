using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MtaCluster.Testing;

/// <summary>One line a <see cref="CapturingLoggerProvider"/> kept: the formatted message and the structured values.</summary>
public sealed record CapturedLogLine(string Category, LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)
{
    public object? this[string name] => State.FirstOrDefault(p => p.Key == name).Value;
}

/// <summary>
/// Keeps every log line written through its loggers, so a test can assert what an operator would read.
/// <see cref="CreateFactory"/> gives an <see cref="ILoggerFactory"/> to hand to the code under test.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLogLine> _lines = new();

    public CapturingLoggerProvider(LogLevel minimum = LogLevel.Information) => Minimum = minimum;

    public LogLevel Minimum { get; }

    public IReadOnlyList<CapturedLogLine> Lines => _lines.ToArray();

    public static (ILoggerFactory Factory, CapturingLoggerProvider Provider) CreateFactory(LogLevel minimum = LogLevel.Information)
    {
        var provider = new CapturingLoggerProvider(minimum);
        var factory = LoggerFactory.Create(builder => builder.SetMinimumLevel(minimum).AddProvider(provider));
        return (factory, provider);
    }

    /// <summary>Waits (polling, with a generous deadline) until <paramref name="count"/> lines match.</summary>
    public async Task<IReadOnlyList<CapturedLogLine>> WaitForAsync(Func<CapturedLogLine, bool> match, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = Lines.Where(match).ToArray();
            if (found.Length >= count) return found;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{found.Length} of {count} expected log lines; lines so far:\n" +
                    string.Join("\n", Lines.Select(l => $"{l.Level} {l.Category}: {l.Message}")));
            }
            await Task.Delay(20);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            provider._lines.Enqueue(new CapturedLogLine(category, logLevel, formatter(state, exception), values.ToArray()));
        }
    }
}
