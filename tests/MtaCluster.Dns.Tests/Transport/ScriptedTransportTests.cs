using System.Diagnostics;
using System.Net;
using MtaCluster.Dns.Protocol;
using MtaCluster.Dns.Records;
using MtaCluster.Dns.Tests.Infrastructure;
using MtaCluster.Dns.Tests.Protocol;

namespace MtaCluster.Dns.Tests.Transport;

public class ScriptedTransportTests
{
    private static ARecord A(string name, string address, int ttl = 60) => new(name, ttl, IPAddress.Parse(address));

    [Fact]
    public async Task Truncated_udp_answer_is_retried_over_tcp()
    {
        await using var server = new ScriptedDnsServer(
            udpHandler: q => [ScriptedDnsServer.Answer(q, truncated: true)],
            tcpHandler: q => ScriptedDnsServer.Answer(q, answers: Enumerable.Range(1, 100).Select(i => A("big.example", $"10.0.0.{i}")).ToArray()));
        var client = server.CreateClient();

        IDnsQueryResponse response = await client.QueryAsync("big.example", QueryType.A, TestContext.Token);

        Assert.False(response.Header.IsTruncated);
        Assert.Equal(100, response.Answers.ARecords().Count);
        Assert.True(response.MessageSize > 1232);
        Assert.Equal(1, server.UdpQueries);
        Assert.Equal(1, server.TcpQueries);
    }

    [Fact]
    public async Task Responses_with_wrong_id_or_question_are_ignored_until_the_right_one()
    {
        await using var server = new ScriptedDnsServer(q =>
        [
            ScriptedDnsServer.Answer(q, answers: [A("spoof.example", "6.6.6.6")], id: (ushort)(q.Message.Header.Id ^ 0x5555)),
            ScriptedDnsServer.Answer(q, answers: [A("other.example", "6.6.6.7")], question: new DnsQuestion("other.example", QueryType.A)),
            ScriptedDnsServer.Answer(q, answers: [A("spoof.example", "6.6.6.8")], question: new DnsQuestion("spoof.example", QueryType.AAAA)),
            [0x00, 0x01, 0x02],
            ScriptedDnsServer.Answer(q, answers: [A("spoof.example", "192.0.2.10")]),
        ]);
        var client = server.CreateClient();

        IDnsQueryResponse response = await client.QueryAsync("SPOOF.example", QueryType.A, TestContext.Token);

        Assert.Equal(IPAddress.Parse("192.0.2.10"), Assert.Single(response.Answers.ARecords()).Address);
        Assert.Equal(1, server.UdpQueries);
    }

    [Fact]
    public async Task Only_mismatched_responses_end_in_a_timeout()
    {
        await using var server = new ScriptedDnsServer(q =>
            [ScriptedDnsServer.Answer(q, id: (ushort)(q.Message.Header.Id + 1))]);
        var client = server.CreateClient(o => o.Timeout = TimeSpan.FromMilliseconds(300));

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<DnsTimeoutException>(() => client.QueryAsync("x.example", QueryType.A, TestContext.Token));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Silent_server_times_out_after_configured_attempts()
    {
        await using var server = new ScriptedDnsServer(_ => []);
        var client = server.CreateClient(o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(200);
            o.Retries = 2;
        });

        await Assert.ThrowsAsync<DnsTimeoutException>(() => client.QueryAsync("x.example", QueryType.A, TestContext.Token));
        for (int i = 0; i < 40 && server.UdpQueries < 3; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(3, server.UdpQueries);
    }

    [Fact]
    public async Task Each_query_uses_a_fresh_source_port()
    {
        var ports = new List<int>();
        await using var server = new ScriptedDnsServer(q =>
        {
            lock (ports)
            {
                ports.Add(((IPEndPoint)q.From).Port);
            }

            return [ScriptedDnsServer.Answer(q)];
        });
        var client = server.CreateClient(o => o.UseCache = false);
        for (int i = 0; i < 5; i++)
        {
            await client.QueryAsync("x.example", QueryType.A, TestContext.Token);
        }

        Assert.True(ports.Distinct().Count() >= 4, string.Join(",", ports));
    }

    [Fact]
    public async Task Rotates_to_the_next_server_when_one_is_silent_or_failing()
    {
        await using var silent = new ScriptedDnsServer(_ => []);
        await using var failing = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.ServerFailure)]);
        await using var good = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, answers: [A(q.Question.Name, "192.0.2.1")])]);
        var client = new LookupClient(new LookupClientOptions
        {
            NameServers = { silent.EndPoint, failing.EndPoint, good.EndPoint },
            Timeout = TimeSpan.FromMilliseconds(600),
            Retries = 0,
            UseCache = false,
        });

        for (int i = 0; i < 3; i++)
        {
            IDnsQueryResponse response = await client.QueryAsync($"n{i}.example", QueryType.A, TestContext.Token);
            Assert.Equal(good.EndPoint, response.NameServer);
        }

        Assert.Equal(3, good.UdpQueries);
    }

    [Fact]
    public async Task Servfail_from_every_server_is_returned_not_thrown()
    {
        await using var failing = new ScriptedDnsServer(q => [ScriptedDnsServer.Answer(q, DnsResponseCode.ServerFailure)]);
        var client = failing.CreateClient(o => o.Retries = 3);

        IDnsQueryResponse response = await client.QueryAsync("x.example", QueryType.A, TestContext.Token);

        Assert.Equal(DnsResponseCode.ServerFailure, response.Header.ResponseCode);
        Assert.Equal(1, failing.UdpQueries);
    }

    [Theory]
    [InlineData("self pointer")]
    [InlineData("two pointer loop")]
    [InlineData("rdlength past end")]
    [InlineData("A rdlength 5")]
    [InlineData("name longer than 255")]
    public async Task Malformed_answer_to_the_right_question_raises_DnsResponseException(string kind)
    {
        byte[] template = DnsMessageTests.Hostile(kind);
        await using var server = new ScriptedDnsServer(q =>
        {
            byte[] wire = (byte[])template.Clone();
            wire[0] = (byte)(q.Message.Header.Id >> 8);
            wire[1] = (byte)q.Message.Header.Id;
            return [wire];
        });
        var client = server.CreateClient(o => o.Timeout = TimeSpan.FromMilliseconds(300));

        // The question "a." is echoed for the record cases, so a matching query reaches the decoder;
        // for hostile question names the identity check fails and the datagram is ignored instead.
        Exception error = await Assert.ThrowsAnyAsync<DnsException>(() => client.QueryAsync("a", QueryType.A, TestContext.Token));
        Assert.True(error is DnsResponseException or DnsTimeoutException, error.GetType().Name);
    }

    [Fact]
    public async Task Mutated_answers_over_the_network_only_raise_dns_exceptions()
    {
        var random = new Random(5452);
        await using var server = new ScriptedDnsServer(q =>
        {
            byte[] wire = ScriptedDnsServer.Answer(q, answers:
            [
                new MxRecord(q.Question.Name, 60, 10, "mx1." + q.Question.Name),
                A("mx1." + q.Question.Name, "192.0.2.1"),
            ]);
            lock (random)
            {
                // Keep id and question intact so the mutation reaches the record decoder: the header, then
                // the name as labels (a length byte per label and the root's zero: two more than its text), type and class.
                int questionEnd = 12 + q.Question.Name.TrimEnd('.').Length + 2 + 4;
                for (int i = 0; i < 3; i++)
                {
                    wire[random.Next(questionEnd, wire.Length)] = (byte)random.Next(256);
                }
            }

            return [wire];
        });
        // Every query is answered, so the timeout only matters when a mutated answer is wrongly ignored:
        // generous, so that a slow machine never mistakes a late answer for that.
        var client = server.CreateClient(o =>
        {
            o.Timeout = TimeSpan.FromSeconds(5);
            o.UseCache = false;
        });

        const int queries = 150;
        int answered = 0, rejected = 0;
        for (int i = 0; i < queries; i++)
        {
            try
            {
                await client.QueryAsync($"m{i}.example", QueryType.MX, TestContext.Token);
                answered++;
            }
            catch (DnsResponseException)
            {
                rejected++;
            }
        }

        // Id and question are intact, so every mutated answer reaches the decoder and ends its query:
        // none may be ignored into a timeout (which would escape the loop above as DnsTimeoutException),
        // and any exception other than a DnsResponseException fails the test the same way.
        Assert.True(rejected > 0, $"no mutation was rejected ({answered} answered): the mutations did not reach the decoder");
        Assert.True(answered > 0, "no mutated answer decoded: the test cannot tell a decoder that rejects everything");
    }

    [Fact]
    public async Task Caller_cancellation_surfaces_as_OperationCanceledException()
    {
        await using var server = new ScriptedDnsServer(_ => []);
        var client = server.CreateClient(o => o.Timeout = TimeSpan.FromSeconds(5));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.QueryAsync("x.example", QueryType.A, cancel.Token));
    }
}
