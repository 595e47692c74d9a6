using MtaCluster.Node.Configuration;

namespace MtaCluster.Node.Tests.Configuration;

public class YamlConfigurationProviderTests
{
    [Fact]
    public void Mappings_sequences_and_scalars_flatten_like_json_configuration()
    {
        var data = YamlConfigurationProvider.Parse(new StringReader("""
            Smtp:
              Listeners:
                relay:
                  Port: 2526
              TrustedNetworks: [127.0.0.0/8, "::1"]
            Entries:
              - Name: first
                Value: 127.0.0.1:2525
              - Name: second
            Node:
              Name: ~
              Quoted: "null"
            """));

        Assert.Equal("2526", data["Smtp:Listeners:relay:Port"]);
        Assert.Equal("first", data["Entries:0:Name"]);
        Assert.Equal("127.0.0.1:2525", data["Entries:0:Value"]);
        Assert.Equal("second", data["Entries:1:Name"]);
        Assert.Equal("::1", data["Smtp:TrustedNetworks:1"]);
        Assert.Null(data["Node:Name"]);
        Assert.Equal("null", data["Node:Quoted"]);
    }

    [Fact]
    public void Keys_are_case_insensitive_like_every_configuration_provider()
    {
        var data = YamlConfigurationProvider.Parse(new StringReader("node:\n  dataDir: /x\n"));
        Assert.Equal("/x", data["Node:DataDir"]);
    }

    [Fact]
    public void Broken_yaml_is_a_format_error()
    {
        var ex = Assert.Throws<FormatException>(() => YamlConfigurationProvider.Parse(new StringReader("a:\n  b: [1, 2\nc: 3\n")));
        Assert.Contains("Invalid YAML", ex.Message);
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        Assert.Throws<FormatException>(() => YamlConfigurationProvider.Parse(new StringReader("a: 1\nA: 2\n")));
    }
}
