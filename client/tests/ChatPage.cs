using Microsoft.Playwright;

namespace Testbed.Client.Tests;

/// <summary>One simulated user: a browser context with the client page open, and the steps a person takes.</summary>
/// <remarks>A page opened with <see cref="OpenTabAsync"/> shares its opener's context (and localStorage) and closes only itself.</remarks>
internal sealed class ChatPage(IBrowserContext context, IPage page, bool ownsContext = true) : IAsyncDisposable
{
    public static readonly float Patience = 20_000;

    public IPage Page => page;

    /// <summary>A new user; <paramref name="query"/> is more of the page's query string (<c>&amp;name=value</c>...).</summary>
    public static async Task<ChatPage> OpenAsync(IBrowser browser, Uri server, string transport = "websocket", string query = "")
    {
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        IPage page = await context.NewPageAsync();
        var chat = new ChatPage(context, page);
        await chat.GotoAsync(server, transport, query);
        return chat;
    }

    /// <summary>Alice and Bob, each in a browser context of their own, registered and in a conversation with each other.</summary>
    public static async Task<(ChatPage Alice, ChatPage Bob, long AliceId, long BobId)> OpenPairAsync(IBrowser browser, Uri server,
        string transport = "websocket")
    {
        ChatPage alice = await OpenAsync(browser, server, transport);
        ChatPage bob = await OpenAsync(browser, server, transport);
        long aliceId = await alice.RegisterAsync("alice");
        long bobId = await bob.RegisterAsync("bob");
        await alice.OpenConversationAsync(bobId);
        await bob.OpenConversationAsync(aliceId);
        return (alice, bob, aliceId, bobId);
    }

    /// <summary>
    /// Alice and Bob chat both ways, Bob answering before Alice's second message, and both end with the three messages
    /// in one order: what each test of a deployment (one server, a cluster) checks first.
    /// </summary>
    public static async Task ChatBothWaysAsync(ChatPage alice, ChatPage bob)
    {
        await alice.SendAsync("hello bob");
        await bob.ExpectMessagesAsync("hello bob");
        await bob.SendAsync("hi alice");
        await alice.SendAsync("how are you?");
        await alice.ExpectMessagesAsync("hello bob", "hi alice", "how are you?");
        await bob.ExpectMessagesAsync("hello bob", "hi alice", "how are you?");
    }

    /// <summary>Another tab in this page's browser context: the same localStorage, its own sessionStorage.</summary>
    public async Task<ChatPage> OpenTabAsync(Uri server, string transport = "websocket")
    {
        var tab = new ChatPage(context, await context.NewPageAsync(), ownsContext: false);
        await tab.GotoAsync(server, transport);
        return tab;
    }

    public async Task GotoAsync(Uri server, string transport = "websocket", string query = "")
    {
        await page.GotoAsync(new Uri(server, $"/?transport={transport}{query}").ToString());
        await WaitConnectedAsync();
    }

    public Task WaitConnectedAsync() =>
        page.WaitForSelectorAsync("[data-testid=status][data-state=connected]", new PageWaitForSelectorOptions { Timeout = Patience });

    public async Task<long> RegisterAsync(string name)
    {
        await page.FillAsync("[data-testid=name-input]", name);
        await page.PressAsync("[data-testid=name-input]", "Enter");
        await page.WaitForSelectorAsync("[data-testid=me][data-user-id]", new PageWaitForSelectorOptions { Timeout = Patience });
        return long.Parse(await page.GetAttributeAsync("[data-testid=me]", "data-user-id") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task OpenConversationAsync(long userId)
    {
        ILocator user = page.Locator($"[data-testid=users] button[data-user-id='{userId}']");
        await user.WaitForAsync(new LocatorWaitForOptions { Timeout = Patience });
        await user.ClickAsync();
    }

    public async Task SendAsync(string text)
    {
        await page.FillAsync("[data-testid=message-input]", text);
        await page.PressAsync("[data-testid=message-input]", "Enter");
    }

    /// <summary>Waits until the conversation shows exactly these texts (sent and received, not refused), in this order.</summary>
    public async Task ExpectMessagesAsync(params string[] texts)
    {
        string expected = string.Join("|", texts);
        await page.WaitForFunctionAsync(
            "expected => [...document.querySelectorAll('[data-testid=messages] li:not(.pending):not(.failed)')].map(li => li.firstChild.textContent).join('|') === expected",
            expected, new PageWaitForFunctionOptions { Timeout = Patience });
    }

    /// <summary>Waits until the conversation shows <paramref name="count"/> delivered messages (in whatever order they arrived).</summary>
    public Task ExpectMessageCountAsync(int count) =>
        page.WaitForFunctionAsync("count => document.querySelectorAll('[data-testid=messages] li:not(.pending)').length === count", count,
            new PageWaitForFunctionOptions { Timeout = Patience });

    public Task<string[]> MessagesAsync() =>
        page.EvalOnSelectorAllAsync<string[]>("[data-testid=messages] li", "items => items.map(li => li.firstChild.textContent)");

    public async ValueTask DisposeAsync()
    {
        if (ownsContext)
        {
            await context.DisposeAsync();
        }
        else
        {
            await page.CloseAsync();
        }
    }
}
