using MtaCluster.Node.Configuration;

namespace MtaCluster.Node.Tests.Configuration;

public sealed class OptionSchemaTests
{
    private sealed class Inner
    {
        public int Port { get; set; }

        public bool Computed => Port > 0;
    }

    private sealed class Outer
    {
        public Dictionary<string, Inner> ByName { get; set; } = [];

        public List<Inner>? ByIndex { get; set; }

        public IReadOnlyDictionary<string, string>? Tags { get; set; }

        public Inner Fixed { get; } = new();

        public Action? Callback { get; set; }
    }

    private static OptionKey Resolve(string key) => OptionSchema.Resolve(typeof(Outer), key.Split(':'), 0);

    [Theory]
    [InlineData("ByName:relay:Port", typeof(int))]
    [InlineData("byname:RELAY:port", typeof(int))]
    [InlineData("ByIndex:0:Port", typeof(int))]
    [InlineData("Tags:team", typeof(string))]
    [InlineData("Fixed:Port", typeof(int))]
    public void Dictionary_list_and_nested_members_resolve_to_their_type(string key, Type expected)
    {
        Assert.Equal(expected, Resolve(key).Type);
    }

    [Theory]
    [InlineData("ByName:relay:Prot", 2, "did you mean Port?")]
    [InlineData("ByIndex:0:Computed", 2, "unknown setting")]
    [InlineData("Callback", 0, "unknown setting")]
    [InlineData("Fixed:Port:Deeper", 2, "Port takes a value")]
    public void Keys_the_binder_would_ignore_are_unknown(string key, int unknownAt, string problem)
    {
        var result = Resolve(key);
        Assert.False(result.IsKnown);
        Assert.Equal(unknownAt, result.UnknownAt);
        Assert.Contains(problem, result.Problem);
    }

    [Theory]
    [InlineData("MaxMesageSize", "MaxMessageSize")]
    [InlineData("Userz", "Users")]
    [InlineData("maxmessagesize", "MaxMessageSize")]
    [InlineData("Completely", null)]
    public void The_nearest_key_is_suggested_only_when_close(string typed, string? expected)
    {
        Assert.Equal(expected, KeySuggestion.Nearest(typed, ["MaxMessageSize", "MaxRecipients", "Users", "Auth"]));
    }
}
