using System.Text.Json;

namespace MtaCluster.Testing;

/// <summary>
/// Python's prometheus_client (Debian's python3-prometheus-client, for the system's python3) as the
/// judge of an exposition: its text-format parser raises on a malformed line, a sample whose name does
/// not belong to its family's type, or a bad value; the families come back as JSON.
/// </summary>
public static class PrometheusTextParser
{
    // The system interpreter: Debian's package installs the module for it, not for another python3 on PATH.
    public const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, math, sys
        from prometheus_client.parser import text_string_to_metric_families
        text = open(sys.argv[1], encoding='utf-8').read()
        out = {}
        for family in text_string_to_metric_families(text):
            if family.name in out:
                raise ValueError('family given twice: ' + family.name)
            out[family.name] = {'type': family.type, 'documentation': family.documentation,
                'samples': [{'name': s.name, 'labels': s.labels, 'value': s.value if math.isfinite(s.value) else str(s.value)} for s in family.samples]}
        print(json.dumps(out))
        """;

    /// <summary>The families by name (a counter's without its _total), each with type, documentation and samples.</summary>
    public static async Task<JsonElement> ParseAsync(string exposition)
    {
        var dir = Path.Combine(Path.GetTempPath(), "prom-py-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var script = Path.Combine(dir, "parse.py");
            var input = Path.Combine(dir, "metrics.txt");
            await File.WriteAllTextAsync(script, Script);
            await File.WriteAllTextAsync(input, exposition);
            var output = await ExternalProcess.RunAsync(Python, script, input);
            return JsonDocument.Parse(output).RootElement.Clone();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
