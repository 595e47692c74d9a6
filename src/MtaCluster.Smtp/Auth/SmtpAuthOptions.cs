namespace MtaCluster.Smtp.Auth;

/// <summary>The configured AUTH users: user name to <see cref="PasswordHasher"/> hash.</summary>
public sealed class SmtpAuthOptions
{
    public Dictionary<string, string> Users { get; set; } = new(StringComparer.Ordinal);
}
