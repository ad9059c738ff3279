using Microsoft.Playwright;

namespace Testbed.Client.Tests;

/// <summary>
/// What the browser client does against a server address, whatever stands behind it: one server
/// (<see cref="ChatEndToEndTests"/>) or a cluster's front (<see cref="ClusterChatTests"/>).
/// </summary>
internal static class ChatScenarios
{
    /// <summary>The inspector lists the handshake's steps, hides the key until asked, and classes every packet's msg_id.</summary>
    public static async Task InspectorShowsHandshakeAndPacketsAsync(IBrowser browser, Uri server, string? screenshot = null)
    {
        await using ChatPage alice = await ChatPage.OpenAsync(browser, server);
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
        if (screenshot is not null)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot });
        }
    }

    /// <summary>A reloaded page keeps its key (no new handshake) and finds the conversation's history.</summary>
    public static async Task ReloadKeepsKeyAndHistoryAsync(IBrowser browser, Uri server)
    {
        (ChatPage alice, ChatPage bob, _, long bobId) = await ChatPage.OpenPairAsync(browser, server, "websocket");
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

    /// <summary>
    /// Two users chat while <paramref name="restart"/> takes the server away and brings it back: both reconnect, and
    /// every message, one of them sent while the server was away, is there once.
    /// </summary>
    public static async Task RestartLosesNothingAsync(IBrowser browser, Uri server, Func<Task> restart)
    {
        (ChatPage alice, ChatPage bob, _, _) = await ChatPage.OpenPairAsync(browser, server, "websocket");
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        await alice.SendAsync("one");
        await bob.ExpectMessagesAsync("one");

        Task restarting = restart();
        await alice.SendAsync("two"); // sent while the server is going down or away
        await restarting;
        await alice.WaitConnectedAsync();
        await bob.WaitConnectedAsync();
        await bob.SendAsync("three");

        await alice.ExpectMessagesAsync("one", "two", "three");
        await bob.ExpectMessagesAsync("one", "two", "three");
    }
}
