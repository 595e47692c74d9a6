using System.Text.RegularExpressions;

namespace MtaCluster.Testing;

/// <summary>
/// Debian's opendkim in test mode (<c>opendkim -x CONF -t FILE</c>) as the judge of our signatures:
/// public keys come from a TestPublicKeys file instead of DNS, so nothing leaves the machine. It
/// exits 0 whatever it finds; the verdict is the line it prints.
/// </summary>
public sealed partial class OpenDkimVerifier : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mta-opendkim-").FullName;
    private readonly List<string> _keys = [];
    private int _messages;

    public const string Executable = "/usr/sbin/opendkim";

    /// <summary>Publishes a key as DNS would: <c>selector._domainkey.domain</c> with its TXT value.</summary>
    public void AddKey(string selector, string domain, string txtValue) => _keys.Add($"{selector}._domainkey.{domain} {txtValue}");

    /// <summary>What opendkim printed about the message: one verdict, for the first signature it could judge.</summary>
    public async Task<string> VerifyAsync(byte[] message)
    {
        var keys = Path.Combine(_dir, "keys");
        await File.WriteAllLinesAsync(keys, _keys);
        var conf = Path.Combine(_dir, "opendkim.conf");
        await File.WriteAllTextAsync(conf, $"Mode v\nTestPublicKeys {keys}\nSyslog no\n");
        var file = Path.Combine(_dir, $"message{Interlocked.Increment(ref _messages)}.eml");
        await File.WriteAllBytesAsync(file, message);
        return await ExternalProcess.RunAsync(Executable, "-x", conf, "-t", file);
    }

    /// <summary>The selectors whose signature opendkim found valid, as "s=sel, d=domain".</summary>
    public static IReadOnlyList<string> Succeeded(string output) =>
        Verdict().Matches(output).Where(m => m.Groups["verdict"].Value == "succeeded").Select(Who).ToList();

    public static IReadOnlyList<string> Failed(string output) =>
        Verdict().Matches(output).Where(m => m.Groups["verdict"].Value != "succeeded").Select(Who).ToList();

    private static string Who(Match match) => $"{match.Groups["s"].Value}, {match.Groups["d"].Value}";

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // opendkim 2.11 reports one signature per message (the first it can judge):
    // "opendkim: FILE: verification (s=s1, d=example.com, 2048-bit key) succeeded"
    // "opendkim: FILE: verification (s=s1 d=example.com, 2048-bit key, unknown) failed: signature verification failed"
    [GeneratedRegex(@"verification \((?<s>s=[^,\s]+),? (?<d>d=[^,\s]+), [^)]*\) (?<verdict>[a-z]+)")]
    private static partial Regex Verdict();
}
