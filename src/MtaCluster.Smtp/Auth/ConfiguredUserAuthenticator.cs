namespace MtaCluster.Smtp.Auth;

/// <summary>Authenticates against the users and PBKDF2 hashes in <see cref="SmtpAuthOptions"/>.</summary>
public sealed class ConfiguredUserAuthenticator : IUserAuthenticator
{
    // Verified for unknown users so that the time taken does not tell which user names exist.
    private static readonly string DecoyHash = PasswordHasher.Hash(Guid.NewGuid().ToString(), 10_000);

    private readonly SmtpAuthOptions _options;

    public ConfiguredUserAuthenticator(SmtpAuthOptions options) => _options = options;

    public ValueTask<bool> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_options.Users.TryGetValue(userName, out var hash))
            return ValueTask.FromResult(PasswordHasher.Verify(password, hash));
        PasswordHasher.Verify(password, DecoyHash);
        return ValueTask.FromResult(false);
    }
}
