using System.Text.Json;
using Microsoft.Playwright;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// Which AES-IGE the page runs: the WebAssembly module the server's build assembles (client/wasm/aes-ige.wat), or,
/// when the module cannot be had, aes.js's JS loop, with which the client still connects (the handshake encrypts
/// with IGE before anything else works).
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class BrowserIgeTests(BrowserFixture browser)
{
    private const string EngineScript = """
        async () => {
          const aes = await import('/js/aes.js');
          return { engine: aes.igeEngine, wasmUnavailable: aes.wasmUnavailable };
        }
        """;

    [Fact]
    public async Task The_page_runs_IGE_in_WebAssembly()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using ChatPage chat = await ChatPage.OpenAsync(browser.Browser, server.HttpBase);

        JsonElement engine = await chat.Page.EvaluateAsync<JsonElement>(EngineScript);

        Assert.Equal(JsonValueKind.Null, engine.GetProperty("wasmUnavailable").ValueKind);
        Assert.Equal("wasm", engine.GetProperty("engine").GetString());
    }

    [Fact]
    public async Task Without_the_module_the_page_falls_back_to_JS_and_still_connects()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        IBrowserContext context = await browser.Browser.NewContextAsync();
        await context.RouteAsync("**/wasm/aes-ige.wasm", route => route.FulfillAsync(new RouteFulfillOptions { Status = 404 }));
        await using var chat = new ChatPage(context, await context.NewPageAsync());

        await chat.GotoAsync(server.HttpBase);
        JsonElement engine = await chat.Page.EvaluateAsync<JsonElement>(EngineScript);

        Assert.Equal("js", engine.GetProperty("engine").GetString());
        Assert.Contains("answered HTTP 404", engine.GetProperty("wasmUnavailable").GetString(), StringComparison.Ordinal);
    }
}
