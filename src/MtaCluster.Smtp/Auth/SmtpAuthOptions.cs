namespace MtaCluster.Smtp.Auth;

/// <summary>The configured AUTH users: user name to <see cref="PasswordHasher"/> hash.</summary>
public sealed class SmtpAuthOptions
{
    public Dictionary<string, string> Users { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long a successful login is remembered so that the next one skips the slow hash. Zero: never.</summary>
    public TimeSpan VerifiedCredentialLifetime { get; set; } = TimeSpan.FromMinutes(15);
}
