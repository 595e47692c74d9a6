using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MtaCluster.Smtp.Spool;

namespace MtaCluster.Node.Spooling;

/// <summary>
/// Watches the free space of the spool's volume so that the SMTP server can refuse new mail at MAIL
/// (452 4.3.1, RFC 3463) while the disk is nearly full, instead of taking a whole message and then
/// failing its commit with 451. Only new mail is held back: the outcome commits of deliveries never
/// ask this monitor, so they keep the space that remains, and finishing deliveries is what frees it.
/// </summary>
/// <remarks>
/// <see cref="HasRoomForNewMail"/> is a field read, cheap enough for every MAIL command; the volume
/// is measured every <see cref="SpoolOptions.FreeSpaceCheckInterval"/> on a timer. While space is
/// low it logs once a minute, and once when space returns; accepting resumes by itself.
/// </remarks>
public sealed class SpoolSpaceMonitor : ISpoolCapacity, IHostedService, IAsyncDisposable
{
    /// <summary>The floor when <see cref="SpoolOptions.MinFreeBytes"/> is not set, with <see cref="DefaultMinFreeFraction"/>.</summary>
    public const long DefaultMinFreeBytes = 1L << 30;

    public const double DefaultMinFreeFraction = 0.05;

    private static readonly TimeSpan LowSpaceLogInterval = TimeSpan.FromMinutes(1);

    private readonly string _directory;
    private readonly SpoolOptions _options;
    private readonly IFreeSpaceSource _source;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile bool _hasRoom = true;
    private DateTimeOffset? _lastLowLog;
    private DateTimeOffset? _lastErrorLog;
    private readonly Lock _gate = new();
    private ITimer? _timer;

    public SpoolSpaceMonitor(string directory, SpoolOptions options, IFreeSpaceSource source, ILogger<SpoolSpaceMonitor> logger, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.FreeSpaceCheckInterval, TimeSpan.Zero);
        _directory = directory;
        _options = options;
        _source = source;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>False while the spool's volume has less free space than the threshold.</summary>
    public bool HasRoomForNewMail => _hasRoom;

    /// <summary>The free space below which new mail is refused, for a volume of <paramref name="totalBytes"/>.</summary>
    public long ThresholdFor(long totalBytes) =>
        _options.MinFreeBytes ?? Math.Max(DefaultMinFreeBytes, (long)(totalBytes * DefaultMinFreeFraction));

    /// <summary>Measures the volume now and updates <see cref="HasRoomForNewMail"/>.</summary>
    public void Check()
    {
        // The timer may fire again while a slow file system still answers the last call.
        lock (_gate) CheckLocked();
    }

    private void CheckLocked()
    {
        VolumeSpace space;
        try
        {
            space = _source.Measure(_directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Keep the last answer: a failed measurement says nothing about the space.
            var now = _time.GetUtcNow();
            if (_lastErrorLog is not { } last || now - last >= LowSpaceLogInterval)
            {
                _lastErrorLog = now;
                _logger.LogWarning(ex, "cannot read the free space of the spool volume at {Directory}", _directory);
            }
            return;
        }

        var threshold = ThresholdFor(space.TotalBytes);
        var hasRoom = space.AvailableBytes >= threshold;
        if (hasRoom)
        {
            if (!_hasRoom)
            {
                _logger.LogInformation("spool volume has room again ({Available} octets free, at least {Threshold} needed); accepting new mail",
                    space.AvailableBytes, threshold);
            }
            _lastLowLog = null;
        }
        else
        {
            var now = _time.GetUtcNow();
            if (_lastLowLog is not { } last || now - last >= LowSpaceLogInterval)
            {
                _lastLowLog = now;
                _logger.LogWarning("spool volume low on space ({Available} octets free, at least {Threshold} needed); new mail is refused with 452 4.3.1",
                    space.AvailableBytes, threshold);
            }
        }
        _hasRoom = hasRoom;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Measured once before the listeners open, so a node started on a full disk refuses from the first MAIL.
        Check();
        _timer = _time.CreateTimer(static state => ((SpoolSpaceMonitor)state!).Check(), this, _options.FreeSpaceCheckInterval, _options.FreeSpaceCheckInterval);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is not null) await _timer.DisposeAsync().ConfigureAwait(false);
        _timer = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
