using Microsoft.Extensions.Logging;
using MtaCluster.Node.Spooling;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Spooling;

public sealed class SpoolSpaceMonitorTests
{
    private const long GiB = 1L << 30;

    private sealed class FakeVolume : IFreeSpaceSource
    {
        public VolumeSpace Space { get; set; }
        public Exception? Failure { get; set; }
        public List<string> Asked { get; } = [];

        public VolumeSpace Measure(string directory)
        {
            Asked.Add(directory);
            return Failure is { } failure ? throw failure : Space;
        }
    }

    private sealed class RecordingLogger : ILogger<SpoolSpaceMonitor>
    {
        public List<(LogLevel Level, string Text)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }

    private static (SpoolSpaceMonitor Monitor, FakeVolume Volume, RecordingLogger Log, ManualTimeProvider Clock) Create(long? minFreeBytes = null)
    {
        var volume = new FakeVolume { Space = new VolumeSpace(50 * GiB, 100 * GiB) };
        var log = new RecordingLogger();
        var clock = new ManualTimeProvider();
        var monitor = new SpoolSpaceMonitor("/var/spool/mta", new SpoolOptions { MinFreeBytes = minFreeBytes }, volume, log, clock);
        return (monitor, volume, log, clock);
    }

    [Fact]
    public void The_default_threshold_is_the_larger_of_one_GiB_and_five_percent_of_the_volume()
    {
        var (monitor, _, _, _) = Create();
        Assert.Equal(5 * GiB, monitor.ThresholdFor(100 * GiB));
        Assert.Equal(GiB, monitor.ThresholdFor(4 * GiB));
        var (configured, _, _, _) = Create(minFreeBytes: 200L << 20);
        Assert.Equal(200L << 20, configured.ThresholdFor(100 * GiB));
    }

    [Fact]
    public void Low_space_refuses_new_mail_logs_once_a_minute_and_room_returning_resumes_with_one_log_line()
    {
        var (monitor, volume, log, clock) = Create();
        monitor.Check();
        Assert.True(monitor.HasRoomForNewMail);
        Assert.Equal(["/var/spool/mta"], volume.Asked);
        Assert.Empty(log.Entries);

        volume.Space = new VolumeSpace(5 * GiB - 1, 100 * GiB);
        monitor.Check();
        Assert.False(monitor.HasRoomForNewMail);
        var warning = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("452 4.3.1", warning.Text);

        // Still low for the rest of the minute: checked every few seconds, logged no more.
        for (var i = 0; i < 11; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            monitor.Check();
        }
        Assert.False(monitor.HasRoomForNewMail);
        Assert.Single(log.Entries);
        clock.Advance(TimeSpan.FromSeconds(5));
        monitor.Check();
        Assert.Equal(2, log.Entries.Count);

        volume.Space = new VolumeSpace(5 * GiB, 100 * GiB);
        monitor.Check();
        Assert.True(monitor.HasRoomForNewMail);
        Assert.Equal(3, log.Entries.Count);
        Assert.Equal(LogLevel.Information, log.Entries[^1].Level);
        monitor.Check();
        Assert.Equal(3, log.Entries.Count);

        // Low again later: the first check says so at once.
        volume.Space = new VolumeSpace(GiB, 100 * GiB);
        clock.Advance(TimeSpan.FromSeconds(1));
        monitor.Check();
        Assert.False(monitor.HasRoomForNewMail);
        Assert.Equal(4, log.Entries.Count);
    }

    [Fact]
    public void A_failed_measurement_keeps_the_last_answer()
    {
        var (monitor, volume, log, _) = Create();
        volume.Space = new VolumeSpace(GiB, 100 * GiB);
        monitor.Check();
        Assert.False(monitor.HasRoomForNewMail);
        volume.Failure = new IOException("stale file handle");
        monitor.Check();
        Assert.False(monitor.HasRoomForNewMail);
        Assert.Contains(log.Entries, e => e.Text.Contains("cannot read the free space", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_measures_before_it_returns_so_the_first_MAIL_sees_a_full_disk()
    {
        var (monitor, volume, _, _) = Create();
        volume.Space = new VolumeSpace(0, 100 * GiB);
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            Assert.False(monitor.HasRoomForNewMail);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void The_real_volume_of_a_directory_can_be_measured()
    {
        var dir = Directory.CreateTempSubdirectory("mta-space-").FullName;
        try
        {
            var space = new DriveFreeSpaceSource().Measure(dir);
            Assert.InRange(space.AvailableBytes, 1, space.TotalBytes);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
