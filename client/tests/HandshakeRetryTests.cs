using System.Net;
using Microsoft.Playwright;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// A handshake packet lost on the way (the lab proxy drops it): each step waits for its answer a bounded time, then
/// the client starts a fresh handshake, says so, and after its last attempt says what to check instead of waiting
/// forever. The page is told to wait 1 s per step (<c>?handshake-timeout=1000</c>) instead of the default 10 s.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class HandshakeRetryTests(BrowserFixture browser) : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("websocket")]
    [InlineData("http")]
    public async Task A_dropped_set_client_DH_params_is_retried_with_a_fresh_handshake(string transport)
    {
        using var capture = new Capture(null, "handshake retry test", _server.HttpBase.ToString());
        await using WebInterceptingProxy proxy = await StartProxyAsync(capture, "c2s:3:drop"); // the third packet: set_client_DH_params
        await using ChatPage alice = await ChatPage.OpenAsync(browser.Browser, Base(proxy), transport, "&handshake-timeout=1000");

        await alice.RegisterAsync("alice");
        string[] steps = await alice.Page.EvalOnSelectorAllAsync<string[]>("[data-testid=timeline] li", "items => items.map(li => li.innerText)");
        string lost = Assert.Single(steps, s => s.StartsWith("lost", StringComparison.Ordinal));
        Assert.Contains("set_client_DH_params", lost, StringComparison.Ordinal);
        Assert.Contains("1/3", lost, StringComparison.Ordinal);
        Assert.Equal("auth key ready", (await alice.Page.EvalOnSelectorAllAsync<string[]>("[data-testid=timeline] li", "items => items.map(li => li.dataset.step)"))[^1]);
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("http")]
    public async Task After_the_last_attempt_the_page_says_what_to_check(string transport)
    {
        using var capture = new Capture(null, "handshake retry test", _server.HttpBase.ToString());
        await using WebInterceptingProxy proxy = await StartProxyAsync(capture, "c2s:*:drop");
        IBrowserContext context = await browser.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Base(proxy), $"/?transport={transport}&handshake-timeout=1000").ToString());

        await page.WaitForSelectorAsync("[data-testid=status][data-state=failed]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
        string status = await page.InnerTextAsync("[data-testid=status]");
        Assert.StartsWith("no auth key after 3 attempt(s): ", status, StringComparison.Ordinal);
        Assert.Contains("req_pq_multi", status, StringComparison.Ordinal);
        Assert.Contains("Check that the server is running", status, StringComparison.Ordinal);
        Assert.Equal(3, await page.Locator("[data-testid=timeline] li[data-step=lost]").CountAsync());
        await context.DisposeAsync();
    }

    private Task<WebInterceptingProxy> StartProxyAsync(Capture capture, string rule) =>
        WebInterceptingProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), _server.HttpBase, new ProxyCore(capture, [ProxyRule.Parse(rule, out _)!]));

    private static Uri Base(WebInterceptingProxy proxy) => new($"http://127.0.0.1:{proxy.Port}");
}
