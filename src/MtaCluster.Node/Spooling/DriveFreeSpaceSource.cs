namespace MtaCluster.Node.Spooling;

/// <summary>
/// The volume's space as the file system reports it to this (unprivileged) process: on Unix
/// <see cref="DriveInfo"/> is statvfs of the path, and the available count excludes the blocks
/// reserved for root, which the spool cannot use.
/// </summary>
public sealed class DriveFreeSpaceSource : IFreeSpaceSource
{
    public VolumeSpace Measure(string directory)
    {
        var drive = new DriveInfo(directory);
        return new VolumeSpace(drive.AvailableFreeSpace, drive.TotalSize);
    }
}
