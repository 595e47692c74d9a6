using System.Diagnostics;
using System.Text.Json;
using MtaCluster.Testing;

namespace MtaCluster.Cmd.Tests;

/// <summary>
/// Every pbm command against a real node whose mail stays queued, as text and as --json; the exit
/// codes (0 done, 1 failed, 2 not understood); a refused or missing token said clearly; the prompt.
/// Most run pbm in this process over captured output; those about the process itself (exit codes,
/// the environment, stdin) run the built pbm as an operator would.
/// </summary>
public sealed partial class PbmCommandTests(QueuedNodeFixture node) : IClassFixture<QueuedNodeFixture>
{
    private sealed record Run(int ExitCode, string Output, string Error);

    private async Task<Run> PbmAsync(params string[] args) => await PbmInAsync(node.Directory, null, new Dictionary<string, string?>(), args);

    private static async Task<Run> PbmInAsync(string directory, string? input, Dictionary<string, string?> environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var app = new PbmApp(new StringReader(input ?? ""), output, error, name => environment.GetValueOrDefault(name), directory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await app.RunAsync(args, timeout.Token);
        return new Run(code, output.ToString(), error.ToString());
    }

    /// <summary>The built pbm in a process of its own, with only the environment given (no PBM_TOKEN of the runner's).</summary>
    /// <summary>
    /// <paramref name="program"/> (the built pbm unless told) in <paramref name="directory"/> with its output
    /// read, and without the runner's PBM_TOKEN.
    /// </summary>
    private static ProcessStartInfo StartInfo(string directory, IEnumerable<string> args, string? program = null)
    {
        var info = new ProcessStartInfo(program ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program is null) info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MtaCluster.Cmd.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment.Remove(TokenSource.Variable);
        return info;
    }

    private static async Task<Run> PbmProcessAsync(string directory, string? input, Dictionary<string, string> environment, params string[] args)
    {
        var info = StartInfo(directory, args);
        info.RedirectStandardInput = true;
        info.Environment[CommandHistory.Variable] = Path.Combine(directory, "history-" + Guid.NewGuid().ToString("N"));
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await stdout, await stderr);
    }

    private static JsonElement Json(Run run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");
        return JsonDocument.Parse(run.Output).RootElement;
    }

    private string[] WithToken(params string[] args) => [node.Endpoint, .. args, "--token", node.Token];

    [Fact]
    public async Task Cluster_show_prints_a_line_per_node_and_the_count()
    {
        var run = await PbmAsync(WithToken("cluster", "show"));
        Assert.True(run.ExitCode == 0, run.Error);
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches($@"^pbm-node \({node.Endpoint}\) \| up \| 1024 shards \| \d+ entities \| up since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ$", lines[0]);
        Assert.Equal("Count: 1 nodes", lines[1]);

        var json = Json(await PbmAsync(WithToken("cluster", "show", "--json")));
        var self = Assert.Single(json.GetProperty("nodes").EnumerateArray());
        Assert.Equal("pbm-node", self.GetProperty("name").GetString());
        Assert.Equal("up", self.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Cluster_status_says_how_many_nodes_are_up_and_how_many_shards_are_owned()
    {
        var run = await PbmAsync(WithToken("cluster", "status"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("1 up of 1", run.Output);
        Assert.Contains("1024 of 1024", run.Output);
        Assert.Contains("Status: healthy", run.Output);
        Assert.Equal("sqlite", Json(await PbmAsync(WithToken("cluster", "status", "--json"))).GetProperty("store").GetString());
    }

    [Fact]
    public async Task Queue_summary_shows_recipients_by_state_and_the_oldest()
    {
        var run = await PbmAsync(WithToken("mta", "queue", "summary"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"(?m)^\s*pending\s+4\s*$", run.Output);
        Assert.Matches(@"(?m)^\s*delivered\s+0\s*$", run.Output);
        Assert.Contains("Messages: 2", run.Output);
        Assert.Matches(@"Oldest queued: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(\d+[smhd]", run.Output);
        var json = Json(await PbmAsync(WithToken("mta", "queue", "summary", "--json")));
        Assert.Equal(4, json.GetProperty("recipients").GetProperty("pending").GetInt64());
    }

    [Fact]
    public async Task Queue_top_lists_the_domains_with_most_mail_and_their_last_error()
    {
        var run = await PbmAsync(WithToken("mta", "queue", "top", "-n", "1"));
        Assert.True(run.ExitCode == 0, run.Error);
        // The throttle state is the running entity's: in backoff after its refused connections, idle, or its
        // connections ("-" if it was too busy to say; the JSON below waits for it).
        Assert.Matches(@"(?m)^\s*big\.test\s+3\s+\S+\s+(backoff|idle|[0-9]+/[0-9]+ conns|-)\s+\S.*$", run.Output);
        Assert.DoesNotContain("small.test", run.Output);
        Assert.Contains("Count: 1 domains", run.Output);
        var all = await PbmAsync(WithToken("mta", "queue", "top"));
        Assert.Contains("small.test", all.Output);
        var json = Json(await PbmAsync(WithToken("mta", "queue", "top", "-n", "2", "--json")));
        Assert.Equal(["big.test", "small.test"], json.GetProperty("domains").EnumerateArray().Select(d => d.GetProperty("domain").GetString()));
        Assert.Empty(json.GetProperty("live_problems").EnumerateArray());
        // An entity too busy to answer within its ask's time is left out: asked again until both answer.
        await Poll.UntilAsync(async () =>
        {
            var top = Json(await PbmAsync(WithToken("mta", "queue", "top", "-n", "2", "--json")));
            return top.GetProperty("domains").EnumerateArray().All(d => d.GetProperty("live") is { ValueKind: JsonValueKind.Object } live
                && live.GetProperty("node").GetString() == "pbm-node");
        }, TimeSpan.FromSeconds(60), "both domains' live state");
        Assert.Equal(PbmApp.Usage, (await PbmAsync(WithToken("mta", "queue", "top", "-n", "0"))).ExitCode);
    }

    [Fact]
    public async Task Queue_show_gives_a_domains_queue_and_its_policy_with_why()
    {
        var run = await PbmAsync(WithToken("mta", "queue", "show", "small.test"));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Matches(@"(?m)^Queued\s+1\s*$", run.Output);
        Assert.Contains("default (default): no entry names small.test", run.Output);
        Assert.Contains("Throttle key", run.Output);
        var json = Json(await PbmAsync(WithToken("mta", "queue", "show", "big.test", "--json")));
        Assert.Equal(3, json.GetProperty("queued").GetInt64());
        Assert.Equal(JsonValueKind.String, json.GetProperty("last_error").ValueKind);
    }

    [Fact]
    public async Task Message_show_gives_the_envelope_and_each_recipients_state()
    {
        var run = await PbmAsync(WithToken("mta", "message", "show", node.MessageId));
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains(node.MessageId, run.Output);
        Assert.Contains("<app@example.com>", run.Output);
        foreach (var rcpt in new[] { "a@big.test", "b@big.test", "c@small.test" }) Assert.Matches($@"(?m)^\s*{rcpt.Replace(".", @"\.")}\s+pending\s+\d+", run.Output);
        var json = Json(await PbmAsync(WithToken("mta", "message", "show", node.MessageId, "--json")));
        Assert.Equal(3, json.GetProperty("recipients").GetArrayLength());

        var missing = await PbmAsync(WithToken("mta", "message", "show", "NOSUCHMESSAGE0000000000000"));
        Assert.Equal(PbmApp.Failed, missing.ExitCode);
        Assert.Contains("no message NOSUCHMESSAGE0000000000000", missing.Error);
    }

    [Fact]
    public async Task A_wrong_token_exits_1_and_says_the_token_was_refused_and_where_it_came_from()
    {
        var run = await PbmProcessAsync(node.Directory, null, new(), node.Endpoint, "mta", "queue", "summary", "--token", "not-the-token");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"the admin endpoint at {node.Endpoint} refused the request (401): the token from --token was refused", run.Error);
        Assert.Equal("", run.Output);

        var fromVariable = await PbmProcessAsync(node.Directory, null, new() { [TokenSource.Variable] = "also-wrong" }, node.Endpoint, "cluster", "show");
        Assert.Equal(1, fromVariable.ExitCode);
        Assert.Contains("the token from PBM_TOKEN was refused", fromVariable.Error);
    }

    [Fact]
    public async Task A_missing_token_exits_1_and_names_every_place_looked_in()
    {
        var elsewhere = Directory.CreateTempSubdirectory("pbm-notoken-").FullName;
        try
        {
            var run = await PbmProcessAsync(elsewhere, null, new(), node.Endpoint, "cluster", "show");
            Assert.Equal(1, run.ExitCode);
            Assert.Contains($"no admin token was found (looked in --token, PBM_TOKEN, {Path.Combine(elsewhere, "data", "admin.token")})", run.Error);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    [Fact]
    public async Task The_token_is_taken_from_PBM_TOKEN_and_from_the_data_dir_of_the_working_directory()
    {
        var fromVariable = await PbmProcessAsync(Path.GetTempPath(), null, new() { [TokenSource.Variable] = node.Token }, node.Endpoint, "mta", "queue", "summary", "--json");
        Assert.Equal(4, Json(fromVariable).GetProperty("recipients").GetProperty("pending").GetInt64());
        // The node's directory holds data/admin.token: pbm run there needs no token given.
        var fromFile = await PbmProcessAsync(node.Directory, null, new(), node.Endpoint, "cluster", "show");
        Assert.Equal(0, fromFile.ExitCode);
        Assert.Contains("Count: 1 nodes", fromFile.Output);
    }

    [Fact]
    public async Task Commands_pbm_does_not_know_exit_2_and_an_unreachable_node_exits_1()
    {
        var unknown = await PbmProcessAsync(node.Directory, null, new(), node.Endpoint, "mta", "queue", "frobnicate");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("usage: pbm [host:port]", unknown.Error);
        Assert.Equal(2, (await PbmAsync(WithToken("mta", "message", "show"))).ExitCode);

        var closed = $"127.0.0.1:{FreePort.Next()}";
        var unreachable = await PbmAsync(closed, "cluster", "show", "--token", "x");
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains($"cannot reach the admin endpoint at {closed}", unreachable.Error);
    }

    [Fact]
    public async Task Without_a_command_pbm_prompts_runs_what_is_typed_keeps_a_history_and_exits()
    {
        var history = Path.Combine(node.Directory, "history-prompt");
        var run = await PbmProcessAsync(node.Directory, "help\nmta queue summary --json\nbogus words\nexit\n",
            new() { [CommandHistory.Variable] = history }, node.Endpoint);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"[{node.Endpoint}] pbm> ", run.Output);
        Assert.Contains("cluster", run.Output);
        Assert.Contains("\"pending\": 4", run.Output);
        Assert.Contains("In this prompt also: history, exit.", run.Output);
        Assert.Contains("error:", run.Error);
        Assert.Equal(["help", "mta queue summary --json", "bogus words", "exit"], await File.ReadAllLinesAsync(history));
    }

    [Fact]
    public async Task At_a_terminal_the_up_arrow_brings_the_last_command_back_to_run_again()
    {
        var history = Path.Combine(node.Directory, "history-terminal");
        var prompt = $"[{node.Endpoint}] pbm> ";
        // The up arrow as a terminal sends it, then Enter: the summary a second time.
        var script = JsonSerializer.Serialize(new object[][]
        {
            ["wait", prompt, 1],
            ["send", "mta queue summary --json\r"],
            ["wait", "\"pending\": 4", 1],
            ["send", "\u001b[A"],
            ["wait", prompt + "mta queue summary --json", 2],
            ["send", "\r"],
            ["wait", "\"pending\": 4", 2],
            ["send", "exit\r"],
        });
        var info = StartInfo(node.Directory, [Path.Combine(AppContext.BaseDirectory, "Terminal", "type_at_prompt.py"), script, "--",
            "dotnet", Path.Combine(AppContext.BaseDirectory, "MtaCluster.Cmd.dll"), node.Endpoint], program: "python3");
        info.Environment[CommandHistory.Variable] = history;
        info.Environment["TERM"] = "xterm";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // The script waits 60 s at most per step; past that, end it and the pbm under it.
            process.Kill(entireProcessTree: true);
            throw;
        }
        var screen = await stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {screen}{await stderr}");
        // Run twice, kept once: a repeat is not a new history entry.
        Assert.Equal(["mta queue summary --json", "exit"], await File.ReadAllLinesAsync(history));
    }

    [Fact]
    public void The_endpoint_is_told_from_a_palette_by_its_port()
    {
        Assert.True(PbmApp.LooksLikeEndpoint("127.0.0.1:9110"));
        Assert.True(PbmApp.LooksLikeEndpoint("mta1.example.com:9110"));
        Assert.True(PbmApp.LooksLikeEndpoint("[::1]:9110"));
        Assert.False(PbmApp.LooksLikeEndpoint("cluster"));
        Assert.False(PbmApp.LooksLikeEndpoint("mta"));
        Assert.Equal(["mta", "queue", "show", "a b.test"], PbmApp.Split("mta queue  show 'a b.test'"));
    }
}
