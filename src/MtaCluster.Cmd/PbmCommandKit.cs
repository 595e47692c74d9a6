using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace MtaCluster.Cmd;

/// <summary>
/// What every palette builds its commands from: the endpoint, the shared --json and --token options,
/// the console, and the admin client. Each palette (Palettes/*.cs) adds its commands to the tree
/// through <see cref="Child"/>, so palettes that share a parent (mta queue, mta domain) stay apart.
/// </summary>
public sealed class PbmCommandKit(
    string endpoint,
    Option<bool> json,
    Option<string?> token,
    IAnsiConsole console,
    TextWriter output,
    TextWriter error,
    Func<string, string?> environment,
    string workingDirectory)
{
    public string Endpoint => endpoint;
    public Option<bool> JsonOption => json;
    public IAnsiConsole Console => console;
    public TextWriter Output => output;
    public TextWriter Error => error;
    public string WorkingDirectory => workingDirectory;

    /// <summary>A client for this invocation's endpoint and token.</summary>
    public AdminClient Client(ParseResult result) =>
        new(endpoint, TokenSource.Find(result.GetValue(token), environment, workingDirectory));

    public TokenSource Token(ParseResult result) => TokenSource.Find(result.GetValue(token), environment, workingDirectory);

    public bool WantsJson(ParseResult result) => result.GetValue(json);

    /// <summary>The subcommand <paramref name="name"/> of <paramref name="parent"/>, made when not there yet.</summary>
    public static Command Child(Command parent, string name, string description)
    {
        var existing = parent.Subcommands.FirstOrDefault(c => c.Name == name);
        if (existing is not null) return existing;
        var command = new Command(name, description);
        parent.Add(command);
        return command;
    }

    /// <summary>A command that GETs <paramref name="path"/> and prints it with <paramref name="view"/> (or as JSON).</summary>
    public Command Leaf(string name, string description, Func<ParseResult, string> path, Action<IAnsiConsole, JsonElement> view)
    {
        var command = new Command(name, description);
        command.SetAction(async (result, ct) =>
        {
            using var client = Client(result);
            var (document, text) = await client.GetAsync(path(result), ct).ConfigureAwait(false);
            await PrintAsync(result, document, text, view).ConfigureAwait(false);
            return PbmApp.Ok;
        });
        return command;
    }

    /// <summary>A command that sends <paramref name="method"/> to <paramref name="path"/> (with a JSON body when given) and prints the answer.</summary>
    public Command Act(string name, string description, HttpMethod method, Func<ParseResult, string> path, Func<ParseResult, object?> body, Action<IAnsiConsole, JsonElement> view)
    {
        var command = new Command(name, description);
        command.SetAction(async (result, ct) =>
        {
            using var client = Client(result);
            var (document, text) = await client.SendAsync(method, path(result), body(result), ct).ConfigureAwait(false);
            await PrintAsync(result, document, text, view).ConfigureAwait(false);
            return PbmApp.Ok;
        });
        return command;
    }

    public async Task PrintAsync(ParseResult result, JsonElement document, string text, Action<IAnsiConsole, JsonElement> view)
    {
        if (WantsJson(result)) await output.WriteLineAsync(text).ConfigureAwait(false);
        else view(console, document);
    }
}
