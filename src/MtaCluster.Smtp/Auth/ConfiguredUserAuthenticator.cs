using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace MtaCluster.Smtp.Auth;

/// <summary>
/// Authenticates against the users and PBKDF2 hashes in <see cref="SmtpAuthOptions"/>.
/// </summary>
/// <remarks>
/// A PBKDF2 check at the default work factor costs about a third of a second of CPU here, and
/// bulk submitters often log in on every connection. So a successful login is remembered, for
/// <see cref="SmtpAuthOptions.VerifiedCredentialLifetime"/>, as an HMAC of the credentials under a
/// key that exists only in this process (the password itself is never kept); a repeat login is
/// then checked in microseconds. Full checks run one at a time, so a flood of wrong passwords
/// costs at most one core and cannot starve the mail flowing on the others.
/// </remarks>
public sealed class ConfiguredUserAuthenticator : IUserAuthenticator
{
    // Verified for unknown users, at the cost of a real user's hash, so that the time taken does
    // not tell which user names exist.
    private static readonly Lazy<string> DecoyHash = new(() => PasswordHasher.Hash(Guid.NewGuid().ToString()));

    private readonly SmtpAuthOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, VerifiedCredential> _verified = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _fullChecks = new(1, 1);

    private sealed record VerifiedCredential(byte[] Mac, DateTimeOffset Until);

    public ConfiguredUserAuthenticator(SmtpAuthOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Full PBKDF2 checks made so far (the rest were answered from remembered logins).</summary>
    public long FullChecks { get; private set; }

    public async ValueTask<bool> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var mac = HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes(userName + "\0" + password));
        if (_verified.TryGetValue(userName, out var known)
            && known.Until > _time.GetUtcNow()
            && CryptographicOperations.FixedTimeEquals(known.Mac, mac))
        {
            return true;
        }

        await _fullChecks.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FullChecks++;
            if (!_options.Users.TryGetValue(userName, out var hash))
            {
                PasswordHasher.Verify(password, DecoyHash.Value);
                return false;
            }
            if (!PasswordHasher.Verify(password, hash)) return false;
            if (_options.VerifiedCredentialLifetime > TimeSpan.Zero)
            {
                _verified[userName] = new VerifiedCredential(mac, _time.GetUtcNow() + _options.VerifiedCredentialLifetime);
            }
            return true;
        }
        finally
        {
            _fullChecks.Release();
        }
    }
}
