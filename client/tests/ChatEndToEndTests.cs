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
    public async Task The_inspector_shows_the_handshake_steps_and_packets_with_msg_ids_in_their_classes()
    {
        await using ChatPage alice = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        await alice.RegisterAsync("alice");
        IPage page = alice.Page;

        string[] steps = await page.EvalOnSelectorAllAsync<string[]>("[data-testid=timeline] li", "items => items.map(li => li.dataset.step)");
        Assert.Equal(["req_pq_multi → resPQ", "req_DH_params → server_DH_params_ok", "server_DH_inner_data checks",
            "set_client_DH_params → dh_gen_ok", "auth key ready"], steps);
        string timeline = await page.InnerTextAsync("[data-testid=timeline]");
        Assert.Contains("\"pq\"", timeline, StringComparison.Ordinal);
        Assert.Contains("\"fingerprint\"", timeline, StringComparison.Ordinal);
        Assert.Contains("\"auth_key_id\"", timeline, StringComparison.Ordinal);
        Assert.True(await page.IsHiddenAsync("[data-testid=auth-key]")); // the key itself only on request
        string authKey = await page.EvaluateAsync<string>("() => window.testbed.saved.authKey");
        Assert.DoesNotContain(authKey[..32], await page.ContentAsync(), StringComparison.OrdinalIgnoreCase);
        await page.CheckAsync("[data-testid=reveal-key]");
        Assert.Equal(authKey, await page.InnerTextAsync("[data-testid=auth-key]"));

        await page.ClickAsync("[role=tab][data-tab=packets]");
        var rows = await page.EvalOnSelectorAllAsync<string[][]>("[data-testid=packets] tbody tr[data-msg-id]",
            "rows => rows.map(r => [r.dataset.direction, r.dataset.msgIdClass])");
        Assert.Contains(rows, r => r[0] == "out");
        Assert.Contains(rows, r => r[0] == "in");
        Assert.All(rows.Where(r => r[0] == "out"), r => Assert.Equal("client", r[1]));
        Assert.All(rows.Where(r => r[0] == "in"), r => Assert.Contains(r[1], new[] { "server response", "server notification" }));

        await page.ClickAsync("[data-testid=packets] tbody tr[data-direction=in][data-msg-id]");
        Assert.Contains("msg_key", await page.InnerTextAsync("[data-testid=packet-detail]"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ArtifactsDirectory, "inspector.png") });
    }

    [Fact]
    public async Task A_reload_keeps_the_key_and_the_history()
    {
        (ChatPage alice, ChatPage bob, _, long bobId) = await OpenPairAsync();
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        await alice.SendAsync("before reload");
        await alice.ExpectMessagesAsync("before reload");
        string keyId = await alice.Page.EvaluateAsync<string>("() => window.testbed.saved.keyId");

        await alice.Page.ReloadAsync();
        await alice.WaitConnectedAsync();
        Assert.Equal(keyId, await alice.Page.EvaluateAsync<string>("() => window.testbed.saved.keyId"));
        Assert.Equal(0, await alice.Page.Locator("[data-testid=timeline] li").CountAsync()); // no new handshake
        await alice.Page.WaitForSelectorAsync("[data-testid=me][data-user-id]");
        await alice.OpenConversationAsync(bobId);
        await alice.ExpectMessagesAsync("before reload");
    }

    [Fact]
    public async Task After_a_server_restart_the_clients_reconnect_and_nothing_is_lost_or_duplicated()
    {
        (ChatPage alice, ChatPage bob, _, _) = await OpenPairAsync();
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        await alice.SendAsync("one");
        await bob.ExpectMessagesAsync("one");

        Task restart = _server.RestartAsync();
        await alice.SendAsync("two"); // sent while the server is going down or away
        await restart;
        await alice.WaitConnectedAsync();
        await bob.WaitConnectedAsync();
        await bob.SendAsync("three");

        await alice.ExpectMessagesAsync("one", "two", "three");
        await bob.ExpectMessagesAsync("one", "two", "three");
    }

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
