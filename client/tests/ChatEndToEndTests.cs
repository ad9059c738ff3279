using Microsoft.Playwright;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>The browser client against the real server in Debian's Chromium: chat, inspector, persistence, recovery.</summary>
[Collection(SharedBrowser.Name)]
public sealed class ChatEndToEndTests(BrowserFixture browser) : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<(ChatPage Alice, ChatPage Bob, long AliceId, long BobId)> OpenPairAsync(string transport = "websocket") =>
        ChatPage.OpenPairAsync(browser.Browser, _server.HttpBase, transport);

    [Theory]
    [InlineData("websocket")] // obfuscated, the default (docs/protocol.md §6)
    [InlineData("websocket-plain")]
    [InlineData("http")]
    public async Task Two_users_handshake_in_the_browser_register_and_chat_both_ways(string transport)
    {
        (ChatPage alice, ChatPage bob, _, _) = await OpenPairAsync(transport);
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        await ChatPage.ChatBothWaysAsync(alice, bob);

        if (transport == "websocket")
        {
            await alice.Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ArtifactsDirectory, "chat.png") });
        }
    }

    [Fact]
    public Task The_inspector_shows_the_handshake_steps_and_packets_with_msg_ids_in_their_classes() =>
        ChatScenarios.InspectorShowsHandshakeAndPacketsAsync(browser.Browser, _server.HttpBase, Path.Combine(BrowserFixture.ArtifactsDirectory, "inspector.png"));

    [Fact]
    public Task A_reload_keeps_the_key_and_the_history() =>
        ChatScenarios.ReloadKeepsKeyAndHistoryAsync(browser.Browser, _server.HttpBase);

    [Fact]
    public Task After_a_server_restart_the_clients_reconnect_and_nothing_is_lost_or_duplicated() =>
        ChatScenarios.RestartLosesNothingAsync(browser.Browser, _server.HttpBase, _server.RestartAsync);

    [Fact]
    public async Task The_client_refuses_an_unsafe_dh_prime_and_says_why()
    {
        await using RunningServer weak = await RunningServer.StartAsync("--fault", "unsafe-dh-prime");
        IBrowserContext context = await browser.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(weak.HttpBase.ToString());
        await page.WaitForSelectorAsync("[data-testid=status][data-state=failed]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
        Assert.Contains("PrimeNotSafe", await page.InnerTextAsync("[data-testid=status]"), StringComparison.Ordinal);
        Assert.Contains("PrimeNotSafe", await page.InnerTextAsync("[data-testid=timeline]"), StringComparison.Ordinal);
        await context.DisposeAsync();
    }

    [Fact]
    public async Task The_client_refuses_a_server_that_no_longer_offers_the_pinned_key()
    {
        await using ChatPage alice = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        await alice.RegisterAsync("alice");

        await _server.ReplaceWithNewServerAsync(); // same address, another RSA key, no record of alice's auth key
        await alice.Page.ReloadAsync();
        await alice.Page.WaitForSelectorAsync("[data-testid=status][data-state=failed]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
        Assert.Contains("pinned RSA key", await alice.Page.InnerTextAsync("[data-testid=status]"), StringComparison.Ordinal);
    }
}
