using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace MtaCluster.StatusPage.Tests;

/// <summary>
/// The status page as an operator sees it: Debian's Chromium, headless, driven by Playwright, logging
/// in through the form, then watching the page follow the node as mail arrives.
/// </summary>
[Collection(StatusPageCollection.Name)]
public sealed class StatusPageBrowserTests(StatusPageNodeFixture node, ITestOutputHelper output)
{
    // Generous: each wait ends as soon as the page shows what it waits for; this only bounds a failure.
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 60_000 };
    private const float Patience = 60_000;

    [Fact]
    public async Task The_page_shows_the_node_its_queued_domains_and_the_chart_and_follows_them_live()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var elsewhere = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(node.BaseAddress.ToString(), StringComparison.Ordinal)) elsewhere.Add(request.Url);
        };
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);

        // Not logged in: the form, and a wrong token is refused on it.
        await page.GotoAsync(node.BaseAddress.ToString());
        await page.FillAsync("#token", "not-the-token");
        await page.ClickAsync("#login button[type=submit]");
        await Expect(page.Locator("#login-refused")).ToHaveTextAsync("token refused");
        await page.FillAsync("#token", node.Token);
        await page.ClickAsync("#login button[type=submit]");

        // The node, its queued domains with their last error, the suspension, the chart.
        await Expect(page.Locator("#nodes tr[data-node='" + StatusPageNodeFixture.NodeName + "']")).ToContainTextAsync("up", new() { Timeout = Patience });
        await Expect(page.Locator("#node-name")).ToHaveTextAsync(StatusPageNodeFixture.NodeName);
        var big = page.Locator("#top tr[data-domain='big.test']");
        await Expect(big).ToBeVisibleAsync(Visible);
        await Expect(big.Locator("td.num").First).ToHaveTextAsync("3");
        // Its first attempt went to a port nobody listens on: the refusal is its last error.
        await Expect(big.Locator("td.error")).Not.ToBeEmptyAsync(new() { Timeout = Patience });
        await Expect(page.Locator("#top tr[data-domain='held.test'] .badge.suspended")).ToBeVisibleAsync(Visible);
        await Expect(page.Locator("#suspensions tr[data-domain='held.test']")).ToContainTextAsync(StatusPageNodeFixture.HeldReason);
        await Expect(page.Locator("#suspensions tr[data-domain='ended.test']")).ToHaveCountAsync(0);
        var accepted = page.Locator("#chart path[data-series='accepted']");
        await Expect(accepted).ToHaveAttributeAsync("d", new Regex(@"^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){89}$"));
        // Drawn, not flat: some point of the accepted line stands above the chart's baseline.
        var ys = (await accepted.GetAttributeAsync("d"))!.Split(['M', 'L'], StringSplitOptions.RemoveEmptyEntries)
            .Select(p => double.Parse(p.Trim().Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(ys.Min() < ys.Max(), "the accepted series rises above zero somewhere");
        await Expect(page.Locator("#chart text").Filter(new() { HasText = "now" })).ToBeVisibleAsync();

        var acceptedTotal = page.Locator("[data-total='accepted']");
        var pending = page.Locator("#queue-pending");
        var acceptedBefore = await acceptedTotal.TextContentAsync();
        var pendingBefore = await pending.TextContentAsync();
        Assert.Equal("5", pendingBefore);

        // More mail: the page's numbers follow without a reload.
        await node.SendAsync(["f@big.test", "g@fresh.test"]);
        await Expect(pending).ToHaveTextAsync("7", new() { Timeout = Patience });
        await Expect(acceptedTotal).Not.ToHaveTextAsync(acceptedBefore!, new() { Timeout = Patience });
        await Expect(page.Locator("#top tr[data-domain='fresh.test']")).ToBeVisibleAsync(Visible);
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "ok");

        var artifacts = Environment.GetEnvironmentVariable("MTA_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        var screenshot = Path.Combine(artifacts, "status-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");

        // A read that fails is said on the page, not hidden behind the last good numbers; it recovers by itself.
        // The queue's totals, whatever the query (the page asks with max_age), and not /api/queue/top.
        var queueRead = new Regex(@"/api/queue(\?|$)");
        await page.RouteAsync(queueRead, route => route.AbortAsync());
        await Expect(page.Locator("#banner")).ToContainTextAsync("Node unreachable", new() { Timeout = Patience });
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "down");
        await Expect(page.Locator("#main")).ToHaveClassAsync(new Regex(@"\bstale\b"));
        await page.UnrouteAsync(queueRead);
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "ok", new() { Timeout = Patience });
        await Expect(page.Locator("#banner")).ToHaveAttributeAsync("data-shown", "false");

        Assert.Empty(elsewhere);
        Assert.Empty(pageErrors);
    }
}
