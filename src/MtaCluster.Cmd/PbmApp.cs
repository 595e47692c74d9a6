using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace MtaCluster.Cmd;

/// <summary>
/// pbm's grammar, Petabridge.Cmd's: <c>pbm [host:port] &lt;palette&gt; &lt;command&gt; [args]</c>, with no
/// command an interactive prompt. Exit codes: 0 done, 1 failed (the endpoint unreachable, the token
/// refused, the thing asked for not there), 2 not understood.
/// </summary>
/// <param name="editor">Reads the prompt's lines key by key on a terminal; null reads them from <paramref name="input"/>.</param>
public sealed partial class PbmApp(TextReader input, TextWriter output, TextWriter error, Func<string, string?> environment, string workingDirectory,
    LineEditor? editor = null)
{
    public const string DefaultEndpoint = "127.0.0.1:9110";
    public const int Ok = 0, Failed = 1, Usage = 2;

    private readonly IAnsiConsole _console = CreateConsole(output);

    public static Task<int> RunAsync(string[] args) =>
        new PbmApp(Console.In, Console.Out, Console.Error, Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory(),
            // Typed at a terminal: edited with the arrow keys. Piped in: read as lines.
            Console.IsInputRedirected || Console.IsOutputRedirected ? null : LineEditor.ForConsole()).RunAsync(args, CancellationToken.None);

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var endpoint = DefaultEndpoint;
        if (args.Length > 0 && LooksLikeEndpoint(args[0]))
        {
            endpoint = args[0];
            args = args[1..];
        }
        if (args.Length > 0 && args[0] == "help") args = [.. args[1..], "--help"];
        // With no palette (options such as --token may still be given), pbm is interactive.
        if (!args.Any(a => !a.StartsWith('-')) && !args.Any(IsHelp))
            return await InteractiveAsync(endpoint, args, cancellationToken).ConfigureAwait(false);
        return await RunCommandAsync(endpoint, args, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsHelp(string arg) => arg is "-h" or "--help" or "-?" or "help";

    /// <summary>host:port, [v6]:port or a bare port-ful address; a palette name never has a colon.</summary>
    public static bool LooksLikeEndpoint(string arg) => EndpointPattern().IsMatch(arg);

    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):[0-9]{1,5}$")]
    private static partial Regex EndpointPattern();

    private async Task<int> RunCommandAsync(string endpoint, string[] args, CancellationToken cancellationToken, string[]? defaults = null)
    {
        var root = BuildCommands(endpoint);
        var parsed = root.Parse(defaults is null ? args : [.. args, .. defaults.Where(d => !args.Contains(d))]);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors) await error.WriteLineAsync($"error: {problem.Message}").ConfigureAwait(false);
            await error.WriteLineAsync("usage: pbm [host:port] <palette> <command> [args] [--json] [--token T]; pbm help lists the commands").ConfigureAwait(false);
            return Usage;
        }
        var config = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parsed.InvokeAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (PbmException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return Failed;
        }
    }

    private RootCommand BuildCommands(string endpoint)
    {
        var json = new Option<bool>("--json") { Description = "Print the admin API's JSON instead of a table", Recursive = true };
        var token = new Option<string?>("--token") { Description = $"The admin token (else ${TokenSource.Variable}, else {TokenSource.DefaultFile})", Recursive = true };
        var root = new RootCommand("pbm: steer an MtaCluster node through its admin endpoint ([host:port] first, default " + DefaultEndpoint + ")");
        root.Add(json);
        root.Add(token);

        var kit = new PbmCommandKit(endpoint, json, token, _console, output, error, environment, workingDirectory);
        // One line per palette; each file under Palettes/ adds its own commands.
        Palettes.ClusterPalette.Add(root, kit);
        Palettes.QueuePalette.Add(root, kit);
        Palettes.MessagePalette.Add(root, kit);
        Palettes.DomainPalette.Add(root, kit);
        Palettes.QueuePurge.Add(root, kit);
        Palettes.MessageActions.Add(root, kit);
        Palettes.EventsPalette.Add(root, kit);
        Palettes.ConfigPalette.Add(root, kit);
        Palettes.ShardingPalette.Add(root, kit);
        Palettes.SpoolPalette.Add(root, kit);
        return root;
    }

    private async Task<int> InteractiveAsync(string endpoint, string[] defaults, CancellationToken cancellationToken)
    {
        var history = new CommandHistory(environment);
        var prompt = $"[{endpoint}] pbm> ";
        var last = Ok;
        while (!cancellationToken.IsCancellationRequested)
        {
            string? line;
            if (editor is not null)
            {
                line = await editor.ReadLineAsync(prompt, history.Entries, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await output.WriteAsync(prompt).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            if (line is null) break;
            line = line.Trim();
            if (line.Length == 0) continue;
            history.Add(line);
            if (line is "exit" or "quit") break;
            if (line == "history")
            {
                foreach (var (entry, i) in history.Entries.Select((e, i) => (e, i))) await output.WriteLineAsync($"{i + 1,5}  {entry}").ConfigureAwait(false);
                continue;
            }
            var words = Split(line);
            if (words.Count > 0 && words[0] == "help") words = [.. words.Skip(1), "--help"];
            last = await RunCommandAsync(endpoint, [.. words], cancellationToken, defaults).ConfigureAwait(false);
            if (line.StartsWith("help", StringComparison.Ordinal))
                await output.WriteLineAsync("In this prompt also: history, exit.").ConfigureAwait(false);
        }
        await output.WriteLineAsync().ConfigureAwait(false);
        return last == Usage ? Ok : last;
    }

    /// <summary>Words of a prompt line; double or single quotes keep spaces in one word.</summary>
    public static List<string> Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var c in line)
        {
            if (quote is not null)
            {
                if (c == quote) quote = null;
                else word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    private static IAnsiConsole CreateConsole(TextWriter output)
    {
        var redirected = !ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        // Piped into a file or another program, a table is not cut to 80 columns.
        if (redirected) console.Profile.Width = 200;
        return console;
    }
}
