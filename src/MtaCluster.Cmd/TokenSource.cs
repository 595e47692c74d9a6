namespace MtaCluster.Cmd;

/// <summary>
/// Where pbm finds the admin token, first found wins: --token, then PBM_TOKEN, then ./data/admin.token
/// (the file a node makes in its data dir, for pbm run from the node's directory).
/// </summary>
public sealed record TokenSource(string? Token, string Origin, IReadOnlyList<string> LookedIn)
{
    public const string Variable = "PBM_TOKEN";

    public static string DefaultFile => Path.Combine(".", "data", "admin.token");

    public static TokenSource Find(string? option, Func<string, string?> environment, string workingDirectory)
    {
        var file = Path.GetFullPath(Path.Combine(workingDirectory, "data", "admin.token"));
        IReadOnlyList<string> lookedIn = ["--token", Variable, file];
        if (!string.IsNullOrEmpty(option)) return new TokenSource(option, "--token", lookedIn);
        if (environment(Variable) is { Length: > 0 } fromEnvironment) return new TokenSource(fromEnvironment, Variable, lookedIn);
        if (File.Exists(file))
        {
            var value = File.ReadAllText(file).Trim();
            if (value.Length > 0) return new TokenSource(value, file, lookedIn);
        }
        return new TokenSource(null, "nowhere", lookedIn);
    }

    /// <summary>The sentence pbm prints when the endpoint refused: which token it sent, or where it looked.</summary>
    public string Explain() => Token is null
        ? $"no admin token was found (looked in {string.Join(", ", LookedIn)}); give one with --token or {Variable}"
        : $"the token from {Origin} was refused (pbm looks in {string.Join(", ", LookedIn)}, first found wins)";
}
