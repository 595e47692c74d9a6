using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MtaCluster.StatusPage.Tests;

/// <summary>
/// The browser's way in, over plain HTTP: the login form, the cookie it sets and what that cookie
/// may do (read, never act), and the two reads the page adds to the API.
/// </summary>
[Collection(StatusPageCollection.Name)]
public sealed class StatusPageLoginTests(StatusPageNodeFixture node)
{
    private HttpClient Client()
    {
        // Cookies and redirects by hand: the test looks at each Set-Cookie and Location itself.
        var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false })
        {
            BaseAddress = node.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        return client;
    }

    private static HttpRequestMessage WithCookie(HttpMethod method, string path, string cookie)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", cookie);
        return request;
    }

    [Fact]
    public async Task The_login_sets_a_read_only_session_cookie_and_a_wrong_token_gets_none()
    {
        using var http = Client();

        // Without credentials: the API says 401, the page answers the form and nothing else.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/queue")).StatusCode);
        var bare = await http.GetAsync("");
        Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
        Assert.Equal("text/html", bare.Content.Headers.ContentType?.MediaType);
        var form = await bare.Content.ReadAsStringAsync();
        Assert.Contains("name=\"token\"", form);
        Assert.DoesNotContain(StatusPageNodeFixture.NodeName, form);
        Assert.DoesNotContain("big.test", form);

        var refused = await http.PostAsync("login", new FormUrlEncodedContent([new("token", node.Token + "x")]));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("token refused", await refused.Content.ReadAsStringAsync());
        Assert.False(refused.Headers.Contains("Set-Cookie"));

        var login = await http.PostAsync("login", new FormUrlEncodedContent([new("token", node.Token)]));
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        Assert.Equal("/", login.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", attributes, StringComparer.OrdinalIgnoreCase);
        var cookie = attributes[0];
        Assert.DoesNotContain(node.Token, cookie);

        // The cookie reads: the page, its HEAD, the API.
        var page = await http.SendAsync(WithCookie(HttpMethod.Get, "", cookie));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("id=\"chart\"", await page.Content.ReadAsStringAsync());
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(WithCookie(HttpMethod.Head, "", cookie))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(WithCookie(HttpMethod.Get, "api/queue", cookie))).StatusCode);

        // ... and does nothing else: a POST with only the cookie is refused before any route sees it,
        // where the same POST with the bearer token gets past the check (to the route's own answer).
        var post = await http.SendAsync(WithCookie(HttpMethod.Post, "api/queue/top", cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
        Assert.Contains("reading only", JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString());
        var bearer = new HttpRequestMessage(HttpMethod.Post, "api/queue/top");
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", node.Token);
        Assert.NotEqual(HttpStatusCode.Unauthorized, (await http.SendAsync(bearer)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(WithCookie(HttpMethod.Delete, "api/queue", cookie))).StatusCode);

        // A cookie that is not the one the login set reads nothing, and the page falls back to the form.
        var forged = cookie[..^2] + (cookie.EndsWith("AA", StringComparison.Ordinal) ? "BB" : "AA");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(WithCookie(HttpMethod.Get, "api/queue", forged))).StatusCode);
        var again = await http.SendAsync(WithCookie(HttpMethod.Get, "", forged));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("name=\"token\"", await again.Content.ReadAsStringAsync());

        var logout = await http.SendAsync(WithCookie(HttpMethod.Post, "logout", cookie));
        Assert.Equal(HttpStatusCode.SeeOther, logout.StatusCode);
        Assert.Contains(logout.Headers.GetValues("Set-Cookie"), c => c.StartsWith("mta_admin_session=;", StringComparison.Ordinal) && c.Contains("expires=", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_throughput_and_the_suspensions_in_force_are_read_through_the_api()
    {
        using var http = Client();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", node.Token);

        var throughput = JsonDocument.Parse(await http.GetStringAsync("api/throughput")).RootElement;
        Assert.Equal(10, throughput.GetProperty("bucket_seconds").GetInt32());
        Assert.Equal(StatusPageNodeFixture.NodeName, throughput.GetProperty("node").GetString());
        var buckets = throughput.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(90, buckets.Count);
        var starts = buckets.Select(b => b.GetProperty("start").GetDateTimeOffset()).ToList();
        Assert.All(starts.Zip(starts.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(10), pair.Second - pair.First));
        // The fixture's messages were accepted within the window (this class may have sent more since).
        Assert.True(buckets.Sum(b => b.GetProperty("accepted").GetInt64()) >= 2);

        var suspensions = JsonDocument.Parse(await http.GetStringAsync("api/suspensions")).RootElement.GetProperty("suspensions");
        var held = Assert.Single(suspensions.EnumerateArray());
        Assert.Equal("held.test", held.GetProperty("domain").GetString());
        Assert.Equal(StatusPageNodeFixture.HeldReason, held.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("api/suspensions?n=0")).StatusCode);
    }
}
