using Microsoft.Playwright;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// What a person following the README meets: two windows of one browser are two users (the identity is per tab), and
/// a message the server refuses is shown beside itself with the reason, to retry or edit — not in the status badge.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class IdentityAndSendErrorTests(BrowserFixture browser) : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Two_tabs_of_one_browser_are_two_users_who_chat_and_a_reload_keeps_each_its_user()
    {
        await using ChatPage alice = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        await using ChatPage bob = await alice.OpenTabAsync(_server.HttpBase); // same context: shared localStorage
        long aliceId = await alice.RegisterAsync("alice");
        long bobId = await bob.RegisterAsync("bob");
        Assert.NotEqual(aliceId, bobId);
        await alice.OpenConversationAsync(bobId);
        await bob.OpenConversationAsync(aliceId);
        await alice.SendAsync("hello bob");
        await bob.SendAsync("hi alice");
        await bob.ExpectMessagesAsync("hello bob", "hi alice");

        foreach ((ChatPage tab, long id) in new[] { (alice, aliceId), (bob, bobId) })
        {
            await tab.Page.ReloadAsync();
            await tab.WaitConnectedAsync();
            await tab.Page.WaitForSelectorAsync("[data-testid=me][data-user-id]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
            Assert.Equal(id.ToString(System.Globalization.CultureInfo.InvariantCulture), await tab.Page.GetAttributeAsync("[data-testid=me]", "data-user-id"));
        }
    }

    [Fact]
    public async Task A_kept_identity_is_the_one_a_new_tab_starts_with()
    {
        await using ChatPage alice = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        long aliceId = await alice.RegisterAsync("alice");
        await alice.Page.CheckAsync("[data-testid=keep-identity]");

        await using ChatPage again = await alice.OpenTabAsync(_server.HttpBase);
        await again.Page.WaitForSelectorAsync("[data-testid=me][data-user-id]", new PageWaitForSelectorOptions { Timeout = ChatPage.Patience });
        Assert.Equal(aliceId.ToString(System.Globalization.CultureInfo.InvariantCulture), await again.Page.GetAttributeAsync("[data-testid=me]", "data-user-id"));
        Assert.True(await again.Page.IsCheckedAsync("[data-testid=keep-identity]"));
    }

    [Fact]
    public async Task A_refused_message_shows_its_error_beside_it_and_can_be_retried_and_edited()
    {
        (ChatPage alice, ChatPage bob, _, _) = await ChatPage.OpenPairAsync(browser.Browser, _server.HttpBase);
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        IPage page = alice.Page;

        Assert.True(await page.IsHiddenAsync("[data-testid=counter]"));
        await page.FillAsync("[data-testid=message-input]", new string('x', 4000));
        Assert.Equal("4000 / 4096", await page.InnerTextAsync("[data-testid=counter]"));
        string tooLong = new('y', 4097);
        await page.FillAsync("[data-testid=message-input]", tooLong);
        Assert.Equal("4097 / 4096: 1 too many", await page.InnerTextAsync("[data-testid=counter]"));
        Assert.Equal(tooLong, await page.InputValueAsync("[data-testid=message-input]")); // nothing cut

        await page.PressAsync("[data-testid=message-input]", "Enter");
        ILocator refused = page.Locator("[data-testid=messages] li.failed");
        await refused.Locator("[data-testid=send-error]").WaitForAsync(new LocatorWaitForOptions { Timeout = ChatPage.Patience });
        Assert.Contains("MESSAGE_TOO_LONG", await refused.Locator("[data-testid=send-error]").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("connected over websocket", await page.InnerTextAsync("[data-testid=status]"));
        Assert.Equal("connected", await page.GetAttributeAsync("[data-testid=status]", "data-state"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ArtifactsDirectory, "send-error.png") });

        await refused.Locator("[data-testid=retry-send]").ClickAsync(); // refused again, still one message with its error
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-testid=messages] li.failed [data-testid=send-error]').length === 1",
            null, new PageWaitForFunctionOptions { Timeout = ChatPage.Patience });
        Assert.Equal(1, await refused.CountAsync());

        await refused.Locator("[data-testid=edit-send]").ClickAsync();
        Assert.Equal(0, await refused.CountAsync());
        Assert.Equal(tooLong, await page.InputValueAsync("[data-testid=message-input]"));
        await page.PressAsync("[data-testid=message-input]", "Backspace");
        Assert.Equal("4096 / 4096", await page.InnerTextAsync("[data-testid=counter]"));
        await page.PressAsync("[data-testid=message-input]", "Enter");
        await bob.ExpectMessagesAsync(tooLong[..4096]);
        await alice.ExpectMessagesAsync(tooLong[..4096]);
        Assert.Equal("connected over websocket", await page.InnerTextAsync("[data-testid=status]"));
    }
}
