using System.Globalization;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.EndToEnd;

/// <summary>
/// Python's smtplib as an application that submits as an AUTH user (STARTTLS, then AUTH PLAIN), one
/// message per subject, in one session; returns the reply code to each DATA.
/// </summary>
internal static class AuthenticatedSubmitter
{
    public const string Password = "tenant secret";

    public static Task<int[]> SendAsync(string dir, int port, string user, string to, params string[] subjects) =>
        SendWithHeaderAsync(dir, port, user, to, header: null, subjects);

    /// <summary>As <see cref="SendAsync"/>, each message with <paramref name="header"/> (one header line, no CRLF) above its Subject.</summary>
    public static async Task<int[]> SendWithHeaderAsync(string dir, int port, string user, string to, string? header, params string[] subjects)
    {
        var script = Path.Combine(dir, $"submit-{Guid.NewGuid():N}.py");
        var list = string.Join(", ", subjects.Select(s => $"'{s}'"));
        await File.WriteAllTextAsync(script, $$"""
            import smtplib, ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = smtplib.SMTP("127.0.0.1", {{port}}, timeout=30)
            s.ehlo("app.test")
            s.starttls(context=ctx)
            s.ehlo("app.test")
            s.login("{{user}}", "{{Password}}")
            for subject in [{{list}}]:
                s.mail("app@example.com")
                s.rcpt("{{to}}")
                code, text = s.data(("From: <app@example.com>\r\n{{(header is null ? "" : header + "\\r\\n")}}Subject: " + subject + "\r\n\r\nbody of " + subject + "\r\n").encode())
                print(code)
            s.quit()
            """);
        var output = await ExternalProcess.RunAsync("python3", script);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray();
    }
}
