using System.Runtime.InteropServices;

namespace MtaCluster.Delivery.Throttling;

/// <summary>The process's open-file limit (RLIMIT_NOFILE), which every socket counts against.</summary>
public static class DescriptorLimit
{
    // RLIMIT_NOFILE is 7 on Linux; other systems number it differently and are not read.
    private const int RlimitNoFile = 7;

    // rlim_t is an unsigned long on Linux: pointer-sized on every ABI .NET runs on there.
    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public nuint Current;
        public nuint Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    /// <summary>
    /// The soft limit, which is the one that fails a socket() with EMFILE (the runtime raises it to the
    /// hard limit at start); null where it cannot be read or is unlimited.
    /// </summary>
    public static long? Read()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            if (GetRLimit(RlimitNoFile, out var limit) != 0) return null;
            return limit.Current == 0 || (ulong)limit.Current > long.MaxValue ? null : (long)limit.Current;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }
}
