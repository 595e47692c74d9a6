using MtaCluster.Node.Admin;

namespace MtaCluster.Node.Tests.Admin;

public sealed class AdminTokenTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-token-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Only_the_exact_token_matches_whatever_its_length()
    {
        var token = AdminToken.FromValue("abc-123_XYZ", "test");
        Assert.True(token.Matches("abc-123_XYZ"));
        Assert.False(token.Matches("abc-123_XY"));
        Assert.False(token.Matches("abc-123_XYZ "));
        Assert.False(token.Matches("ABC-123_XYZ"));
        Assert.False(token.Matches(""));
    }

    [Fact]
    public void The_file_is_made_once_and_read_again_on_the_next_start()
    {
        var first = AdminToken.Load(new AdminOptions(), _dir);
        var value = File.ReadAllText(Path.Combine(_dir, AdminToken.FileName)).Trim();
        Assert.True(first.Matches(value));
        var second = AdminToken.Load(new AdminOptions(), _dir);
        Assert.True(second.Matches(value));
        Assert.Equal(value, File.ReadAllText(Path.Combine(_dir, AdminToken.FileName)).Trim());
        Assert.NotEqual(AdminToken.NewValue(), AdminToken.NewValue());
    }

    [Fact]
    public void A_configured_token_wins_and_no_file_is_made()
    {
        var token = AdminToken.Load(new AdminOptions { Token = "from-config" }, _dir);
        Assert.Equal("Admin:Token", token.Source);
        Assert.True(token.Matches("from-config"));
        Assert.False(File.Exists(Path.Combine(_dir, AdminToken.FileName)));
    }
}
