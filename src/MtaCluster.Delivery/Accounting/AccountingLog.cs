using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MtaCluster.Delivery.Accounting;

/// <summary>
/// Writes one JSON line per <see cref="AccountingRecord"/> to rotating files. <see cref="Record"/> only
/// enqueues; a single background writer owns the files, so delivery never waits on the disk and lines
/// are never interleaved. Disposal writes everything still queued and closes the file.
/// </summary>
/// <remarks>
/// The queue is unbounded on purpose: dropping or blocking would cost either accounting lines or
/// delivery throughput, and the record rate is bounded by the delivery rate anyway.
/// </remarks>
public sealed class AccountingLog : IAccountingSink, IAsyncDisposable, IDisposable
{
    private const int MaxWriteAttempts = 3;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly AccountingLogOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Channel<Entry> _channel = Channel.CreateUnbounded<Entry>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;
    private readonly Task _writer;

    private FileStream? _file;
    private long _fileBytes;
    private DateTimeOffset _rotateAt = DateTimeOffset.MaxValue;
    private DateTime _lastStamp = DateTime.MinValue;
    private DateTimeOffset _lastFlush;
    private bool _dirty;
    private long _written;
    private long _dropped;
    private int _disposed;

    public AccountingLog(AccountingLogOptions options, TimeProvider? clock = null, ILogger<AccountingLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxFileBytes);
        if (options.RotateInterval is { } interval && interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "RotateInterval must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.FlushInterval, TimeSpan.Zero);
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            // Reply text is full of quotes, angle brackets and non-ASCII; this is a log file, not HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = true,
        });
        System.IO.Directory.CreateDirectory(options.Directory);
        _lastFlush = _clock.GetUtcNow();
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>The file being written, or null between rotation and the next record.</summary>
    public string? CurrentFile { get; private set; }

    public long RecordsWritten => Interlocked.Read(ref _written);

    /// <summary>Records lost: offered after disposal, or refused by the disk after retries.</summary>
    public long RecordsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="record"/>; never blocks.</summary>
    public void Record(AccountingRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_channel.Writer.TryWrite(new Entry(record, null)))
        {
            Interlocked.Increment(ref _dropped);
            _logger.LogError("Accounting record for message {MessageId} offered after the log was closed", record.MessageId);
        }
    }

    /// <summary>Completes once every record queued before the call is in the file (handed to the OS).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _channel.Writer.TryWrite(new Entry(null, done))
            ? done.Task.WaitAsync(cancellationToken)
            : _writer.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _channel.Writer.TryComplete();
        }

        await _writer.ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task WriteLoopAsync()
    {
        var reader = _channel.Reader;
        Task<bool>? waiting = null;
        try
        {
            while (true)
            {
                while (reader.TryRead(out var entry))
                {
                    Handle(entry);
                }

                waiting ??= reader.WaitToReadAsync().AsTask();
                if (_dirty && !waiting.IsCompleted)
                {
                    var due = _lastFlush + _options.FlushInterval - _clock.GetUtcNow();
                    if (due > TimeSpan.Zero)
                    {
                        var delay = Task.Delay(due, _clock);
                        if (await Task.WhenAny(waiting, delay).ConfigureAwait(false) == delay)
                        {
                            Flush();
                            continue;
                        }
                    }
                    else
                    {
                        Flush();
                        continue;
                    }
                }

                var more = await waiting.ConfigureAwait(false);
                waiting = null;
                if (!more)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "Accounting writer stopped");
            throw;
        }
        finally
        {
            CloseFile();
            _json.Dispose();
        }
    }

    private void Handle(Entry entry)
    {
        if (entry.Flushed is { } flushed)
        {
            Flush();
            flushed.TrySetResult();
            return;
        }

        var record = entry.Record!;
        Serialize(record);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Write();
                Interlocked.Increment(ref _written);
                break;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                CloseFileQuietly();
                if (attempt >= MaxWriteAttempts)
                {
                    Interlocked.Increment(ref _dropped);
                    _logger.LogError(ex, "Accounting record for message {MessageId} could not be written", record.MessageId);
                    break;
                }

                _logger.LogWarning(ex, "Accounting write failed; retrying in a new file");
            }
        }

        if (_clock.GetUtcNow() - _lastFlush >= _options.FlushInterval)
        {
            Flush();
        }
    }

    private void Serialize(AccountingRecord record)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        JsonSerializer.Serialize(_json, record, AccountingJsonContext.Default.AccountingRecord);
        _json.Flush();
        _buffer.Write(NewLine);
    }

    private void Write()
    {
        var now = _clock.GetUtcNow();
        if (_file is not null && now >= _rotateAt)
        {
            CloseFile();
        }

        _file ??= OpenFile(now);
        var line = _buffer.WrittenSpan;
        _file.Write(line);
        _fileBytes += line.Length;
        _dirty = true;
        if (_options.MaxFileBytes > 0 && _fileBytes >= _options.MaxFileBytes)
        {
            CloseFile();
        }
    }

    private FileStream OpenFile(DateTimeOffset now)
    {
        // Names must sort in write order. Several files opened within one second (size rotation, or a
        // restart) each take the next free second instead of a suffix, which would sort out of order.
        var stamp = new DateTime(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        if (stamp <= _lastStamp)
        {
            stamp = _lastStamp.AddSeconds(1);
        }

        for (; ; stamp = stamp.AddSeconds(1))
        {
            var name = $"{_options.FilePrefix}-{stamp.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.jsonl";
            var path = Path.Combine(_options.Directory, name);
            if (File.Exists(path))
            {
                continue;
            }

            try
            {
                var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 64 * 1024);
                _lastStamp = stamp;
                CurrentFile = path;
                _fileBytes = 0;
                _rotateAt = NextRotation(now);
                return file;
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another writer took the name between the check and the create.
            }
        }
    }

    private DateTimeOffset NextRotation(DateTimeOffset now)
    {
        if (_options.RotateInterval is not { } interval)
        {
            return DateTimeOffset.MaxValue;
        }

        var ticks = now.UtcTicks;
        var boundary = ticks - ticks % interval.Ticks + interval.Ticks;
        return new DateTimeOffset(boundary, TimeSpan.Zero);
    }

    private void Flush()
    {
        _lastFlush = _clock.GetUtcNow();
        if (_file is null || !_dirty)
        {
            return;
        }

        try
        {
            _file.Flush();
            _dirty = false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Accounting flush to {File} failed", CurrentFile);
            CloseFileQuietly();
        }
    }

    private void CloseFile()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            _file.Flush();
            _file.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(ex, "Accounting file {File} did not close cleanly", CurrentFile);
        }

        _file = null;
        _dirty = false;
        CurrentFile = null;
    }

    private void CloseFileQuietly()
    {
        try
        {
            _file?.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug(ex, "Ignoring close failure of a broken accounting file");
        }

        _file = null;
        _dirty = false;
        CurrentFile = null;
    }

    private readonly record struct Entry(AccountingRecord? Record, TaskCompletionSource? Flushed);
}
