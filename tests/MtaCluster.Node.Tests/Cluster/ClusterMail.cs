using System.Text;
using System.Text.RegularExpressions;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Cluster;

/// <summary>
/// The numbered test mail the cluster tests submit (message n to user n at domain n mod the domain
/// count, "Subject: cluster n") and how they count what a dumping smtp-sink received.
/// </summary>
internal static partial class ClusterMail
{
    public static byte[] Content(int n, string to) => Encoding.ASCII.GetBytes(
        $"From: <app@example.com>\r\nTo: <{to}>\r\nSubject: cluster {n}\r\n" +
        $"Message-ID: <{n}.{Guid.NewGuid():N}@example.com>\r\n\r\nmessage {n}\r\n");

    public static string Recipient(int n, int domains) => $"user{n}@d{n % domains}.example.net";

    /// <summary>The test number of every message the sink holds, once per transaction that brought it.</summary>
    public static List<int> Received(SmtpSink sink)
    {
        var numbers = new List<int>();
        foreach (var file in Directory.GetFiles(sink.DumpDirectory!))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }
            var match = SubjectPattern().Match(text);
            if (match.Success) numbers.Add(int.Parse(match.Groups[1].Value));
        }
        return numbers;
    }

    [GeneratedRegex(@"^Subject: cluster (\d+)\r?$", RegexOptions.Multiline)]
    private static partial Regex SubjectPattern();
}
