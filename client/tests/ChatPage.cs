using Microsoft.Playwright;

namespace Testbed.Client.Tests;

/// <summary>One simulated user: a browser context with the client page open, and the steps a person takes.</summary>
internal sealed class ChatPage(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public static readonly float Patience = 20_000;

    public IPage Page => page;

    public static async Task<ChatPage> OpenAsync(IBrowser browser, Uri server, string transport = "websocket")
    {
        IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        IPage page = await context.NewPageAsync();
        var chat = new ChatPage(context, page);
        await chat.GotoAsync(server, transport);
        return chat;
    }

    public async Task GotoAsync(Uri server, string transport = "websocket")
    {
        await page.GotoAsync(new Uri(server, $"/?transport={transport}").ToString());
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

    /// <summary>Waits until the conversation shows exactly these texts (sent and received), in this order.</summary>
    public async Task ExpectMessagesAsync(params string[] texts)
    {
        string expected = string.Join("|", texts);
        await page.WaitForFunctionAsync(
            "expected => [...document.querySelectorAll('[data-testid=messages] li:not(.pending)')].map(li => li.firstChild.textContent).join('|') === expected",
            expected, new PageWaitForFunctionOptions { Timeout = Patience });
    }

    public Task<string[]> MessagesAsync() =>
        page.EvalOnSelectorAllAsync<string[]>("[data-testid=messages] li", "items => items.map(li => li.firstChild.textContent)");

    public async ValueTask DisposeAsync() => await context.DisposeAsync();
}
