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
        var ex = Assert.Throws<ConfigurationErrorException>(() => YamlConfigurationProvider.Parse(new StringReader("a:\n  b: [1, 2\nc: 3\n")));
        Assert.Contains("invalid YAML", ex.Message);
        Assert.DoesNotContain("Idx:", ex.Message);
    }

    [Fact]
    public void Duplicate_keys_are_refused()
    {
        var ex = Assert.Throws<ConfigurationErrorException>(() => YamlConfigurationProvider.Parse(new StringReader("a: 1\nA: 2\n")));
        Assert.Equal(new SourcePosition(2, 1), ex.Error.Position);
        Assert.Contains("set twice", ex.Message);
    }

    [Fact]
    public void Every_key_and_value_remembers_its_line_and_column()
    {
        var document = YamlConfigurationProvider.ParseDocument(new StringReader("""
            Smtp:
              Auth:
                Users:
                  app1: "pbkdf2-sha256$1$AA==$AA=="
              TrustedNetworks:
                - 10.0.0.0/8
            """), "test.yaml");

        Assert.Equal(new SourcePosition(1, 1), document.KeyPositions["Smtp"]);
        Assert.Equal(new SourcePosition(3, 5), document.KeyPositions["Smtp:Auth:Users"]);
        Assert.Equal(new SourcePosition(4, 7), document.KeyPositions["smtp:auth:users:APP1"]);
        Assert.Equal(new SourcePosition(4, 13), document.ValuePositions["Smtp:Auth:Users:app1"]);
        Assert.Equal(new SourcePosition(6, 7), document.ValuePositions["Smtp:TrustedNetworks:0"]);
    }

    [Fact]
    public void A_syntax_error_names_the_file_line_and_column()
    {
        var ex = Assert.Throws<ConfigurationErrorException>(() =>
            YamlConfigurationProvider.ParseDocument(new StringReader("Delivery:\n  Hold: true\n Foo: 1\n"), "/etc/mta/node.yaml"));
        Assert.StartsWith("/etc/mta/node.yaml:3:2: invalid YAML: ", ex.Error.ToString());
    }
}
