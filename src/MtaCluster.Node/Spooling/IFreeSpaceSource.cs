namespace MtaCluster.Node.Spooling;

/// <summary>Free and total octets of the volume that holds a directory.</summary>
public readonly record struct VolumeSpace(long AvailableBytes, long TotalBytes);

/// <summary>Measures a volume's space; tests give a fake, the node <see cref="DriveFreeSpaceSource"/>.</summary>
public interface IFreeSpaceSource
{
    VolumeSpace Measure(string directory);
}
