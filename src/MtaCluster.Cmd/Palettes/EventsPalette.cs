using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MtaCluster.Cmd.Palettes;

/// <summary>
/// <c>mta events tail [--domain D] [--type T] [--all]</c>: the accounting records as they happen, a line
/// each, until Ctrl-C (exit 0). A node streams its own node's records; <c>--all</c> streams from every
/// member <c>/api/cluster</c> lists with an admin address, and names those it cannot reach and why.
/// </summary>
public static class EventsPalette
{
    public static void Add(RootCommand root, PbmCommandKit kit)
    {
        var events = PbmCommandKit.Child(MtaPalette.Of(root), "events", "Accounting events, live");
        var domain = new Option<string?>("--domain") { Description = "Only this destination domain's" };
        var type = new Option<string?>("--type") { Description = "Only this type: received, delivered, deferred, bounced, expired or removed" };
        type.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } t && t is not ("received" or "delivered" or "deferred" or "bounced" or "expired" or "removed"))
                r.AddError($"--type must be received, delivered, deferred, bounced, expired or removed, not '{t}'");
        });
        var all = new Option<bool>("--all") { Description = "From every node of the cluster, not only this one" };
        var tail = new Command("tail", "Stream accounting events as they happen (Ctrl-C ends)") { domain, type, all };
        tail.SetAction((result, ct) => TailAsync(kit, result, result.GetValue(domain), result.GetValue(type), result.GetValue(all), ct));
        events.Add(tail);
    }

    private sealed record Source(string Name, string Endpoint);

    private static async Task<int> TailAsync(PbmCommandKit kit, ParseResult result, string? domain, string? type, bool all, CancellationToken cancellationToken)
    {
        var query = new List<string>();
        if (domain is not null) query.Add("domain=" + Uri.EscapeDataString(domain));
        if (type is not null) query.Add("type=" + Uri.EscapeDataString(type));
        var path = "/api/events" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        var json = kit.WantsJson(result);
        var sources = all ? await MembersAsync(kit, result, cancellationToken).ConfigureAwait(false) : [new Source(kit.Endpoint, kit.Endpoint)];
        var token = kit.Token(result);
        var output = new Lock();
        var streams = new List<(Source Source, EventStreamClient Client, EventStreamClient.EventStream Stream)>();
        try
        {
            foreach (var source in sources)
            {
                var client = new EventStreamClient(source.Endpoint, token);
                try
                {
                    streams.Add((source, client, await client.OpenAsync(path, cancellationToken).ConfigureAwait(false)));
                }
                catch (PbmException ex) when (all)
                {
                    client.Dispose();
                    await kit.Error.WriteLineAsync($"cannot stream from {source.Name}: {ex.Message}").ConfigureAwait(false);
                }
                catch
                {
                    client.Dispose();
                    throw;
                }
            }
            if (streams.Count == 0) throw new PbmException("no node of the cluster could be streamed from");
            // On stderr, so that --json output is nothing but records; a script can wait for this line.
            await kit.Error.WriteLineAsync($"tailing events from {string.Join(", ", streams.Select(s => s.Source.Name))} (Ctrl-C ends)").ConfigureAwait(false);
            await kit.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            var ended = await Task.WhenAll(streams.Select(s => CopyAsync(kit, s.Source, s.Stream, json, all, output, cancellationToken))).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested) return PbmApp.Ok;
            throw new PbmException($"the event stream from {string.Join(", ", ended)} ended (the node stopped?)");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C: the way a tail ends.
            return PbmApp.Ok;
        }
        finally
        {
            foreach (var (_, client, stream) in streams)
            {
                stream.Dispose();
                client.Dispose();
            }
        }
    }

    /// <summary>Copies one node's stream to the output, a line per event; returns the node's name when the node ends the stream.</summary>
    private static async Task<string> CopyAsync(PbmCommandKit kit, Source source, EventStreamClient.EventStream stream, bool json, bool named, Lock output, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var data in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                string? line;
                try
                {
                    line = json ? JsonLine(data, named ? source.Name : null) : Views.EventLine(JsonDocument.Parse(data).RootElement);
                }
                catch (JsonException)
                {
                    line = null;
                }
                if (line is null) continue;
                lock (output)
                {
                    kit.Output.WriteLine(named && !json ? $"[{source.Name}] {line}" : line);
                    kit.Output.Flush();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            // The node closed the connection: the stream ended.
        }
        return source.Name;
    }

    /// <summary>The record as one line of JSON; with several nodes, with a <c>node</c> field naming where it came from.</summary>
    private static string JsonLine(string data, string? node)
    {
        var record = JsonNode.Parse(data);
        if (node is not null && record is JsonObject o) o["node"] = node;
        return record?.ToJsonString() ?? "null";
    }

    /// <summary>Every member with an address to stream from: this endpoint for the node itself, <c>admin_address</c> for the others.</summary>
    private static async Task<List<Source>> MembersAsync(PbmCommandKit kit, ParseResult result, CancellationToken cancellationToken)
    {
        using var client = kit.Client(result);
        var (cluster, _) = await client.GetAsync("/api/cluster", cancellationToken).ConfigureAwait(false);
        var sources = new List<Source>();
        foreach (var node in cluster.GetProperty("nodes").EnumerateArray())
        {
            var name = node.GetProperty("name").GetString() ?? "?";
            if (node.TryGetProperty("self", out var self) && self.ValueKind == JsonValueKind.True)
                sources.Add(new Source(name, kit.Endpoint));
            else if (node.TryGetProperty("admin_address", out var admin) && admin.ValueKind == JsonValueKind.String && admin.GetString() is { Length: > 0 } address)
                sources.Add(new Source(name, address));
            else
                await kit.Error.WriteLineAsync($"cannot stream from {name}: /api/cluster gives no admin_address for it (a node of an older version, or one whose admin endpoint is off)").ConfigureAwait(false);
        }
        return sources;
    }
}
