using Microsoft.Playwright;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// The test faults of client/js/faults.js (docs/browser.md §5) are read from the page's address only, and a page
/// with any on says so in a red banner; an unknown name keeps the client from starting.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class FaultBannerTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Banner = "[data-testid=fault-banner]";

    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_page_with_faults_on_shows_them_in_a_banner_and_still_connects()
    {
        await using ChatPage chat = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase, query: "&fault=accept-reordered,no-time-window");
        Assert.Equal("TEST FAULTS ON: accept-reordered, no-time-window", await chat.Page.InnerTextAsync(Banner));
        Assert.True(await chat.Page.IsVisibleAsync(Banner));
    }

    [Fact]
    public async Task An_unknown_fault_keeps_the_client_from_starting()
    {
        await using IBrowserContext context = await browser.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(_server.HttpBase, "/?fault=no-such-fault").ToString());
        await page.WaitForSelectorAsync("[data-testid=status][data-state=failed]");
        Assert.StartsWith("refused: unknown fault no-such-fault", await page.InnerTextAsync("[data-testid=status]"));
        Assert.StartsWith("TEST FAULTS REFUSED: unknown fault no-such-fault", await page.InnerTextAsync(Banner));
    }

    [Fact]
    public async Task Without_faults_there_is_no_banner()
    {
        await using ChatPage chat = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        Assert.Equal(0, await chat.Page.Locator(Banner).CountAsync());
    }
}
