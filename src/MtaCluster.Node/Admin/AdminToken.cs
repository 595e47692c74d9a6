using System.Security.Cryptography;
using System.Text;

namespace MtaCluster.Node.Admin;

/// <summary>
/// The admin endpoint's bearer token: from configuration, or else from <c>admin.token</c> in the data
/// dir, made on first start (32 random bytes, URL-safe base64, mode 0600 from the moment it exists).
/// </summary>
public sealed class AdminToken
{
    public const string FileName = "admin.token";

    // The token's SHA-256 is what is compared: a fixed length, so FixedTimeEquals never returns
    // early on a length difference and a wrong guess learns nothing of the token's length either.
    private readonly byte[] _digest;

    private AdminToken(string value, string source)
    {
        _digest = SHA256.HashData(Encoding.UTF8.GetBytes(value));
        Source = source;
    }

    /// <summary>Where the token came from, for the start-up log ("Admin:Token" or the file's path).</summary>
    public string Source { get; }

    public static AdminToken FromValue(string value, string source) => new(value, source);

    /// <summary>The configured token, or the data dir's file, made when missing.</summary>
    public static AdminToken Load(AdminOptions options, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(options.Token)) return new AdminToken(options.Token, "Admin:Token");
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path)) CreateFile(path);
        var value = File.ReadAllText(path).Trim();
        if (value.Length == 0) throw new InvalidDataException($"{path} is empty: delete it to have a new token made, or set Admin:Token.");
        return new AdminToken(value, path);
    }

    /// <summary>True when <paramref name="presented"/> is the token, in time that does not depend on how much of it matches.</summary>
    public bool Matches(ReadOnlySpan<char> presented)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, digest);
        return CryptographicOperations.FixedTimeEquals(digest, _digest);
    }

    /// <summary>
    /// The status page's session cookie: derived from the token (an HMAC of a fixed label keyed by its
    /// digest), so the cookie stays good across restarts while the token does, and a stolen cookie
    /// does not reveal the token that actions need.
    /// </summary>
    public string SessionValue() => Convert.ToBase64String(HMACSHA256.HashData(_digest, "MtaCluster status page session"u8))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="presented"/> is <see cref="SessionValue"/>, compared in constant time as the token is.</summary>
    public bool MatchesSession(ReadOnlySpan<char> presented)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToArray()), digest);
        return CryptographicOperations.FixedTimeEquals(digest, SHA256.HashData(Encoding.UTF8.GetBytes(SessionValue())));
    }

    public static string NewValue() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void CreateFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var file = new FileStream(path, options);
            file.Write(Encoding.ASCII.GetBytes(NewValue() + "\n"));
            file.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another start made it first; its token is the one.
        }
    }
}
