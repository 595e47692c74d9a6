using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace MtaCluster.Cmd;

/// <summary>
/// Reads a node's server-sent event stream (<c>GET /api/events</c>): no overall timeout, since the
/// stream is meant to last, but the response headers must come within <see cref="HeadersTimeout"/>, so
/// an endpoint that accepts the connection and says nothing is reported rather than waited on for ever.
/// </summary>
public sealed class EventStreamClient(string endpoint, TokenSource token, TimeSpan? headersTimeout = null) : IDisposable
{
    public static readonly TimeSpan DefaultHeadersTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://{endpoint}"), Timeout = Timeout.InfiniteTimeSpan };

    public string Endpoint => endpoint;

    public TimeSpan HeadersTimeout { get; } = headersTimeout ?? DefaultHeadersTimeout;

    /// <summary>Opens the stream at <paramref name="path"/>: the node has subscribed once this returns.</summary>
    public async Task<EventStream> OpenAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (token.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        headers.CancelAfter(HeadersTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headers.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new PbmException($"cannot reach the admin endpoint at {endpoint}: {ex.InnerException?.Message ?? ex.Message} (is the node running, and is Admin:Listen {endpoint}?)");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PbmException($"the admin endpoint at {endpoint} did not start the event stream within {HeadersTimeout.TotalSeconds:0} s");
        }
        try
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new PbmException($"the admin endpoint at {endpoint} refused the request (401): {token.Explain()}");
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                string? message = null;
                try
                {
                    var json = JsonDocument.Parse(text).RootElement;
                    if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("message", out var m)) message = m.GetString();
                }
                catch (JsonException)
                {
                }
                throw new PbmException($"{message ?? $"{path} failed"} ({(int)response.StatusCode} from {endpoint})");
            }
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new EventStream(response, new StreamReader(stream, Encoding.UTF8));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>An open stream; each event's data (the JSON of one record) in turn, until the node ends it.</summary>
    public sealed class EventStream(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        /// <summary>The data of each event (several data lines joined by newlines, as the SSE format says); comments are skipped.</summary>
        public async IAsyncEnumerable<string> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var data = new StringBuilder();
            var any = false;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    if (any) yield return data.ToString();
                    data.Clear();
                    any = false;
                    continue;
                }
                if (line[0] == ':') continue;
                var colon = line.IndexOf(':');
                var field = colon < 0 ? line : line[..colon];
                if (field != "data") continue;
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' ')) value = value[1..];
                if (any) data.Append('\n');
                data.Append(value);
                any = true;
            }
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }
}
