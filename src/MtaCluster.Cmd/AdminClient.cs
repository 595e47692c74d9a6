using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace MtaCluster.Cmd;

/// <summary>A failure pbm reports in one line and exits 1 for.</summary>
public sealed class PbmException(string message) : Exception(message);

/// <summary>Speaks to one node's admin endpoint: GET with the bearer token, JSON back, every failure in words.</summary>
public sealed class AdminClient(string endpoint, TokenSource token, TimeSpan? timeout = null) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://{endpoint}"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    public string Endpoint => endpoint;

    /// <summary>The document at <paramref name="path"/> and its raw text (what --json prints).</summary>
    public Task<(JsonElement Json, string Text)> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken);

    /// <summary>
    /// <paramref name="method"/> to <paramref name="path"/>, with <paramref name="body"/> as JSON when
    /// given; the answer's document and raw text (what --json prints).
    /// </summary>
    public async Task<(JsonElement Json, string Text)> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var (_, json, text) = await SendAsync(method, path, body, [], cancellationToken).ConfigureAwait(false);
        return (json, text);
    }

    /// <summary>
    /// As <see cref="SendAsync(HttpMethod, string, object?, CancellationToken)"/>, but an answer with one of
    /// <paramref name="alsoAccepted"/> (a refusal whose document says why, such as a reload's 422) is returned
    /// with its status rather than thrown.
    /// </summary>
    public async Task<(int Status, JsonElement Json, string Text)> SendAsync(HttpMethod method, string path, object? body, int[] alsoAccepted,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = System.Net.Http.Json.JsonContent.Create(body, body.GetType(), options: BodyOptions);
        if (token.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException || ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new PbmException($"cannot reach the admin endpoint at {endpoint}: {ex.InnerException?.Message ?? ex.Message} (is the node running, and is Admin:Listen {endpoint}?)");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PbmException($"the admin endpoint at {endpoint} did not answer within {_http.Timeout.TotalSeconds:0} s");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new PbmException($"the admin endpoint at {endpoint} refused the request (401): {token.Explain()}");
            JsonElement json;
            try
            {
                json = JsonDocument.Parse(text).RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new PbmException($"{endpoint}{path} answered {(int)response.StatusCode} with no JSON: {Shorten(text)}");
            }
            if (!response.IsSuccessStatusCode && !alsoAccepted.Contains((int)response.StatusCode))
            {
                var message = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("message", out var m) ? m.GetString() : Shorten(text);
                throw new PbmException($"{message} ({(int)response.StatusCode} from {endpoint})");
            }
            return ((int)response.StatusCode, json, text);
        }
    }

    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public void Dispose() => _http.Dispose();
}
