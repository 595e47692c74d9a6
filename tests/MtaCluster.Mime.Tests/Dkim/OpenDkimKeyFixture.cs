using MtaCluster.Mime.Dkim;
using MtaCluster.Testing;

namespace MtaCluster.Mime.Tests.Dkim;

/// <summary>
/// One RSA-2048 key made by opendkim-genkey (its private key file and its TXT record as it writes
/// them) and one Ed25519 key of ours, for a whole test class: key generation is the slow part.
/// </summary>
public sealed class OpenDkimKeyFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-dkim-keys-").FullName;

    public DkimSigningKey Rsa { get; private set; } = null!;

    /// <summary>The record opendkim-genkey wrote, its quoted strings joined.</summary>
    public string RsaRecord { get; private set; } = null!;

    public DkimSigningKey Ed25519 { get; private set; } = null!;

    public string RsaKeyPath => Path.Combine(_dir, "s1.private");

    public async Task InitializeAsync()
    {
        await ExternalProcess.RunAsync("/usr/sbin/opendkim-genkey", "-b", "2048", "-d", "example.com", "-s", "s1", "-D", _dir);
        Rsa = DkimKeyFile.Load(RsaKeyPath);
        RsaRecord = JoinQuoted(await File.ReadAllTextAsync(Path.Combine(_dir, "s1.txt")));
        Ed25519PrivateKey.Generate(out var seed);
        Ed25519 = DkimKeyFile.Parse(DkimKeyFile.Ed25519ToPem(seed));
    }

    public Task DisposeAsync()
    {
        Rsa.Dispose();
        Ed25519.Dispose();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    // s1._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; " "p=MIIB..." "..." ) ; comment
    private static string JoinQuoted(string zoneLine)
    {
        var parts = zoneLine.Split('"');
        return string.Concat(parts.Where((_, i) => i % 2 == 1));
    }
}
