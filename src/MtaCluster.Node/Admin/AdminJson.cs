using System.Text.Json;
using System.Text.Json.Serialization;

namespace MtaCluster.Node.Admin;

/// <summary>How the admin API writes JSON: snake_case keys, enums by name, nulls kept (a reader sees every field).</summary>
public static class AdminJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
    };
}

/// <summary>The body of every refusal and failure.</summary>
public sealed record AdminError(string Error, string Message);
