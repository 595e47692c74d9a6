using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MtaCluster.Smtp.Auth;

/// <summary>
/// Salted PBKDF2-HMAC-SHA256 password hashes in the form <c>pbkdf2-sha256$iterations$saltB64$hashB64</c>.
/// </summary>
public static class PasswordHasher
{
    public const string Scheme = "pbkdf2-sha256";

    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.</summary>
    public const int DefaultIterations = 600_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    public static string Hash(string password) => Hash(password, DefaultIterations);

    public static string Hash(string password, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture),
            Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>True when <paramref name="password"/> matches; false for a wrong password or a malformed hash.</summary>
    public static bool Verify(string password, string encodedHash)
    {
        if (!TryDecode(encodedHash, out var iterations, out var salt, out var expected)) return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>
    /// True when <paramref name="encodedHash"/> is in the form <see cref="Hash(string)"/> writes, so a node
    /// can refuse at start a user who could never log in (a pasted password, a truncated hash).
    /// </summary>
    public static bool IsWellFormed(string? encodedHash) => encodedHash is not null && TryDecode(encodedHash, out _, out _, out _);

    private static bool TryDecode(string encodedHash, out int iterations, out byte[] salt, out byte[] expected)
    {
        salt = expected = [];
        iterations = 0;
        var parts = encodedHash.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1)
            return false;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }
        return expected.Length > 0;
    }
}
