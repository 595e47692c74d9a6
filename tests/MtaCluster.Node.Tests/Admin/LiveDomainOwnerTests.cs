using System.Net;
using System.Net.Sockets;
using System.Text;
using MtaCluster.Node.Admin;
using MtaCluster.Testing;

namespace MtaCluster.Node.Tests.Admin;

/// <summary>Asking a domain's owner for its live state: the caller's token goes with it, and a refusal is said as such.</summary>
public sealed class LiveDomainOwnerTests
{
    // Generous: the question is what is said, not how fast.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>One HTTP exchange: answers <paramref name="response"/> and hands back the request's head.</summary>
    private static (int Port, Task<string> Request) AnswerOnce(string response)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return (port, Task.Run(async () =>
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                using var client = await listener.AcceptTcpClientAsync(timeout.Token);
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n"))
                {
                    var read = await stream.ReadAsync(buffer, timeout.Token);
                    if (read == 0) break;
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response), timeout.Token);
                return head.ToString();
            }
            finally
            {
                listener.Stop();
            }
        }));
    }

    [Fact]
    public async Task The_owners_answer_is_read_and_the_callers_token_goes_with_the_question()
    {
        const string body = """{"node":"n2","domains":{"a.test":{"node":"n2","policy_key":"default","throttle_key":"default","suspended":false,"in_backoff":true,"active_connections":0,"max_connections":10,"in_flight":3}}}""";
        var (port, request) = AnswerOnce($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
        var (live, problem) = await LiveDomainStates.AskOwnerAsync("n2", $"127.0.0.1:{port}", ["a.test", "b.test"], "Bearer the-token", Patience, CancellationToken.None);
        Assert.Null(problem);
        var a = Assert.Single(live!).Value;
        Assert.Equal(("n2", true, 10, 3), (a.Node, a.InBackoff, a.MaxConnections, a.InFlight));
        var head = await request;
        Assert.StartsWith("GET /api/live/domains?domain=a.test&domain=b.test HTTP/1.1\r\n", head);
        Assert.Contains("Authorization: Bearer the-token\r\n", head);
    }

    [Fact]
    public async Task An_address_where_another_node_answers_is_named_as_not_the_owners()
    {
        // Every node of a cluster spread over hosts publishing 127.0.0.1:9110: the one asking reaches itself.
        const string body = """{"node":"n1","domains":{}}""";
        var (port, request) = AnswerOnce($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}");
        var (live, problem) = await LiveDomainStates.AskOwnerAsync("n2", $"127.0.0.1:{port}", ["a.test"], "Bearer t", Patience, CancellationToken.None);
        Assert.Null(live);
        Assert.Equal($"n2 publishes 127.0.0.1:{port}, where n1 answered: give each node an Admin:Listen address the others reach it on", problem);
        await request;
    }

    [Fact]
    public async Task An_owner_that_refuses_the_token_is_named_with_what_to_do()
    {
        var (port, request) = AnswerOnce("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        var (live, problem) = await LiveDomainStates.AskOwnerAsync("n3", $"127.0.0.1:{port}", ["a.test"], "Bearer mine", Patience, CancellationToken.None);
        Assert.Null(live);
        Assert.Equal($"n3 (127.0.0.1:{port}) refused this token (give the nodes one Admin:Token to see across them)", problem);
        await request;
    }

    [Fact]
    public async Task An_owner_nobody_answers_for_is_named_as_not_reachable()
    {
        var port = FreePort.Next();
        var (live, problem) = await LiveDomainStates.AskOwnerAsync("n4", $"127.0.0.1:{port}", ["a.test"], null, Patience, CancellationToken.None);
        Assert.Null(live);
        Assert.StartsWith($"n4 (127.0.0.1:{port}) could not be asked: ", problem);
    }
}
