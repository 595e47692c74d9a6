using MtaCluster.Smtp.Auth;

namespace MtaCluster.Smtp.Tests.Auth;

public class PasswordHasherTests
{
    [Fact]
    public void Hash_has_the_documented_format_and_verifies()
    {
        var hash = PasswordHasher.Hash("correct horse", 1000);
        var parts = hash.Split('$');
        Assert.Equal(["pbkdf2-sha256", "1000"], parts[..2]);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.True(PasswordHasher.Verify("correct horse", hash));
        Assert.False(PasswordHasher.Verify("correct horsf", hash));
    }

    [Fact]
    public void Same_password_gets_a_new_salt_each_time()
    {
        Assert.NotEqual(PasswordHasher.Hash("pw", 10), PasswordHasher.Hash("pw", 10));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain-text-password")]
    [InlineData("pbkdf2-sha1$1000$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$***$AAAA")]
    public void Malformed_hashes_never_verify(string hash)
    {
        Assert.False(PasswordHasher.Verify("pw", hash));
    }

    [Fact]
    public void Default_hash_uses_the_default_work_factor()
    {
        Assert.StartsWith("pbkdf2-sha256$600000$", PasswordHasher.Hash("pw"));
    }

    [Fact]
    public async Task Configured_authenticator_checks_users_and_hashes()
    {
        var options = new SmtpAuthOptions();
        options.Users["bob"] = PasswordHasher.Hash("pw", 100);
        var authenticator = new ConfiguredUserAuthenticator(options);
        Assert.True(await authenticator.AuthenticateAsync("bob", "pw", default));
        Assert.False(await authenticator.AuthenticateAsync("bob", "PW", default));
        Assert.False(await authenticator.AuthenticateAsync("mallory", "pw", default));
    }

    [Fact]
    public async Task A_successful_login_is_remembered_so_the_next_skips_the_slow_hash_until_it_lapses()
    {
        var options = new SmtpAuthOptions { VerifiedCredentialLifetime = TimeSpan.FromMinutes(15) };
        options.Users["bob"] = PasswordHasher.Hash("pw", 1000);
        var clock = new MtaCluster.Testing.ManualTimeProvider();
        var authenticator = new ConfiguredUserAuthenticator(options, clock);

        Assert.True(await authenticator.AuthenticateAsync("bob", "pw", default));
        Assert.True(await authenticator.AuthenticateAsync("bob", "pw", default));
        Assert.Equal(1, authenticator.FullChecks);

        // A wrong password is never answered from memory.
        Assert.False(await authenticator.AuthenticateAsync("bob", "pw2", default));
        Assert.Equal(2, authenticator.FullChecks);

        clock.Advance(TimeSpan.FromMinutes(16));
        Assert.True(await authenticator.AuthenticateAsync("bob", "pw", default));
        Assert.Equal(3, authenticator.FullChecks);
    }

    [Fact]
    public void Plain_response_parts()
    {
        Assert.True(SaslDecoder.TryParsePlain("\0bob\0pw", out var user, out var password));
        Assert.Equal(("bob", "pw"), (user, password));
        Assert.True(SaslDecoder.TryParsePlain("bob\0bob\0pw", out _, out _));
        Assert.False(SaslDecoder.TryParsePlain("admin\0bob\0pw", out _, out _));
        Assert.False(SaslDecoder.TryParsePlain("bob\0pw", out _, out _));
    }
}
