using System.Net;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Protocol;

namespace MtaCluster.Smtp.Server;

/// <summary>
/// The Information lines that say whom the server refused and what it answered, in one key=value form,
/// within the budget of a <see cref="RefusalLogLimiter"/>. Nothing is formatted unless Information is on.
/// </summary>
internal static partial class RefusalLog
{
    public static void Refused(ILogger logger, RefusalLogLimiter limiter, RefusalKind kind, IPAddress client, string listener,
        EncodedReply reply, string? detailKey = null, object? detailValue = null)
    {
        // Checked first so that with Information off a refusal does not even take a token.
        if (!logger.IsEnabled(LogLevel.Information)) return;
        if (!limiter.TryAcquire(kind, out long suppressed, out var over)) return;
        string name = kind.ToName();
        if (suppressed > 0) Suppressed(logger, suppressed, name, Math.Round(over.TotalSeconds, 1));
        if (detailKey is null) Refused(logger, name, client, listener, reply);
        else Refused(logger, name, client, listener, reply, detailKey, detailValue);
    }

    /// <summary>A client-chosen string (an AUTH user name) made safe for one log line.</summary>
    public static string Printable(string value)
    {
        const int Max = 64;
        bool clean = value.Length <= Max;
        foreach (char c in value) clean &= c is > ' ' and < (char)0x7F and not '"';
        if (clean) return value;
        var text = value.Length > Max ? value[..Max] : value;
        return string.Create(text.Length, text, static (span, source) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = source[i] is > ' ' and < (char)0x7F and not '"' ? source[i] : '?';
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "refused {Refusal}: client={Client} listener={Listener} reply=\"{Reply}\"")]
    private static partial void Refused(ILogger logger, string refusal, IPAddress client, string listener, EncodedReply reply);

    [LoggerMessage(Level = LogLevel.Information, Message = "refused {Refusal}: client={Client} listener={Listener} reply=\"{Reply}\" {Key}={Value}")]
    private static partial void Refused(ILogger logger, string refusal, IPAddress client, string listener, EncodedReply reply, string key, object? value);

    [LoggerMessage(Level = LogLevel.Information, Message = "suppressed {Count} similar refusals ({Refusal}) in the last {Seconds} s")]
    private static partial void Suppressed(ILogger logger, long count, string refusal, double seconds);
}
