using System.Text.Json;
using Microsoft.Playwright;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Protocol.Envelope;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// The protocol inspector (docs/inspector.md) in Chromium against the real server: objects with their strings as
/// text, a layout that shows whole constructor names, the bytes pane, the filter, the export as a lab capture, and
/// auth_key_id printed the way the server's security events print it.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class InspectorTests(BrowserFixture browser) : IAsyncLifetime
{
    private const string Rows = "[data-testid=packets] tbody tr";

    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A registered user with the Packets tab open.</summary>
    private async Task<ChatPage> OpenPacketsAsync(string name = "alice")
    {
        ChatPage chat = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        await chat.RegisterAsync(name);
        await chat.Page.ClickAsync("[role=tab][data-tab=packets]");
        return chat;
    }

    [Fact]
    public async Task String_fields_are_shown_as_text_and_int128_as_hex()
    {
        await using ChatPage alice = await OpenPacketsAsync("Zoë \"the tester\"");
        IPage page = alice.Page;
        await page.FillAsync("[data-testid=filter-constructor]", "chat.register");
        await page.ClickAsync($"{Rows}:not([hidden])");
        Assert.Equal($"{{\n  \"_\": \"chat.register\",\n  \"name\": \"Zoë \\\"the tester\\\"\"\n}}", await page.InnerTextAsync("[data-testid=packet-object]"));

        await page.FillAsync("[data-testid=filter-constructor]", "resPQ");
        await page.ClickAsync($"{Rows}:not([hidden])");
        Assert.Matches("\"nonce\": \"hex:[0-9a-f]{32}\"", await page.InnerTextAsync("[data-testid=packet-object]")); // int128
    }

    [Theory]
    [InlineData(1440)]
    [InlineData(1920)]
    public async Task The_packet_table_shows_whole_constructor_names_and_the_button_toggles_the_inspector(int width)
    {
        await using ChatPage alice = await OpenPacketsAsync();
        IPage page = alice.Page;
        await page.SetViewportSizeAsync(width, 900);
        await page.WaitForSelectorAsync($"{Rows} td.object:text-is('chat.getUsers')"); // sent after chat.register's answer
        string[] names = await page.EvalOnSelectorAllAsync<string[]>($"{Rows} td.object", "cells => cells.map(c => c.textContent)");
        Assert.Contains("chat.getUsers", names);
        Assert.Contains("rpc_result", names);

        string[] clipped = await page.EvalOnSelectorAllAsync<string[]>($"{Rows} td.object", """
            cells => {
              const wrap = document.querySelector('[data-testid=packets-wrap]').getBoundingClientRect();
              return cells.filter(c => c.scrollWidth > c.clientWidth || c.getBoundingClientRect().right > wrap.right + 0.5)
                .map(c => c.textContent);
            }
            """);
        Assert.Empty(clipped);

        await page.ClickAsync("[data-testid=toggle-inspector]");
        Assert.True(await page.IsHiddenAsync("[data-testid=inspector]"), $"the Inspector button did not close the inspector at {width} px");
        Assert.Equal("false", await page.GetAttributeAsync("[data-testid=toggle-inspector]", "aria-expanded"));
        await page.ClickAsync("[data-testid=toggle-inspector]");
        Assert.True(await page.IsVisibleAsync("[data-testid=inspector]"), $"the Inspector button did not open the inspector again at {width} px");
    }

    [Fact]
    public async Task Each_field_of_a_packet_highlights_its_own_bytes()
    {
        await using ChatPage alice = await OpenPacketsAsync();
        IPage page = alice.Page;

        await page.ClickAsync($"{Rows}[data-direction=in][data-msg-id]:not(.refused)");
        int size = await SelectedSizeAsync(page);
        Dictionary<string, (int Offset, int Length)> marked = await ClickEachFieldAsync(page, "wire");
        Assert.Equal(new Dictionary<string, (int, int)> { ["auth_key_id"] = (0, 8), ["msg_key"] = (8, 16), ["ciphertext"] = (24, size - 24) }, marked);

        Dictionary<string, (int Offset, int Length)> inside = await ClickEachFieldAsync(page, "plaintext");
        int length = int.Parse((await page.InnerTextAsync("[data-testid=packet-fields] button[data-field=length]")).Split(" = ")[1],
            System.Globalization.CultureInfo.InvariantCulture);
        int padding = size - 24 - 32 - length;
        Assert.InRange(padding, 12, 1024);
        Assert.Equal(new Dictionary<string, (int, int)>
        {
            ["salt"] = (0, 8), ["session_id"] = (8, 8), ["msg_id"] = (16, 8), ["seq_no"] = (24, 4), ["length"] = (28, 4),
            ["message_data"] = (32, length), ["padding"] = (32 + length, padding),
        }, inside);

        await page.ClickAsync($"{Rows}:not([data-msg-id])"); // the first handshake packet: req_pq_multi, unencrypted
        size = await SelectedSizeAsync(page);
        Assert.Equal(new Dictionary<string, (int, int)> { ["auth_key_id"] = (0, 8), ["msg_id"] = (8, 8), ["length"] = (16, 4), ["message"] = (20, size - 20) },
            await ClickEachFieldAsync(page, "wire"));
        Assert.Equal(0, await page.Locator("[data-testid=packet-fields] button[data-pane=plaintext]").CountAsync());
    }

    private static async Task<int> SelectedSizeAsync(IPage page) =>
        int.Parse(await page.EvalOnSelectorAsync<string>($"{Rows}.selected", "row => row.cells[4].textContent"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Clicks every field of <paramref name="pane"/> in the tree; for each, the bytes then marked (which must be one run).</summary>
    private static async Task<Dictionary<string, (int Offset, int Length)>> ClickEachFieldAsync(IPage page, string pane)
    {
        await page.WaitForSelectorAsync($"[data-testid=packet-fields] button[data-pane={pane}]");
        var marked = new Dictionary<string, (int, int)>();
        foreach (ILocator button in await page.Locator($"[data-testid=packet-fields] button[data-pane={pane}]").AllAsync())
        {
            await button.ClickAsync();
            int[] offsets = await page.EvalOnSelectorAllAsync<int[]>($"[data-testid=packet-bytes] .dump[data-pane={pane}] span.mark",
                "spans => spans.map(s => Number(s.dataset.offset))");
            Assert.Equal(Enumerable.Range(offsets.FirstOrDefault(), offsets.Length), offsets);
            Assert.Empty(await page.QuerySelectorAllAsync($"[data-testid=packet-bytes] .dump:not([data-pane={pane}]) span.mark"));
            marked[(await button.GetAttributeAsync("data-field"))!] = (offsets.FirstOrDefault(), offsets.Length);
        }

        return marked;
    }

    [Fact]
    public async Task The_filter_selects_by_constructor_direction_and_refusal()
    {
        await using ChatPage alice = await OpenPacketsAsync();
        IPage page = alice.Page;
        await InjectForgedPacketAsync(page);

        await page.FillAsync("[data-testid=filter-constructor]", "chat.register");
        Assert.Equal(["out"], await page.EvalOnSelectorAllAsync<string[]>($"{Rows}:not([hidden])", "rows => rows.map(r => r.dataset.direction)"));
        await page.FillAsync("[data-testid=filter-constructor]", "");

        await page.SelectOptionAsync("[data-testid=filter-direction]", "in");
        string[] directions = await page.EvalOnSelectorAllAsync<string[]>($"{Rows}:not([hidden])", "rows => rows.map(r => r.dataset.direction)");
        Assert.NotEmpty(directions);
        Assert.All(directions, d => Assert.Equal("in", d));
        await page.SelectOptionAsync("[data-testid=filter-direction]", "");

        await page.CheckAsync("[data-testid=filter-refused]");
        Assert.Equal(["refused: auth_key_id is not this key"],
            await page.EvalOnSelectorAllAsync<string[]>($"{Rows}:not([hidden])", "rows => rows.map(r => r.cells[5].textContent)"));
        await page.UncheckAsync("[data-testid=filter-refused]");
        Assert.Equal(0, await page.Locator($"{Rows}[hidden]").CountAsync());
    }

    [Fact]
    public async Task The_export_is_a_lab_capture_with_the_same_packets()
    {
        await using ChatPage alice = await OpenPacketsAsync();
        IPage page = alice.Page;
        await InjectForgedPacketAsync(page);

        // Packets may still arrive (acknowledgements): the table read after the export starts with the exported ones.
        IReadOnlyList<CaptureRecord> capture = await ExportAsync(page);
        CaptureRecord[] packets = [.. capture.Where(r => r.Payload is not null)];
        string[][] rows = [.. (await page.EvalOnSelectorAllAsync<string[][]>(Rows, "rows => rows.map(r => [r.dataset.direction, r.dataset.msgId ?? ''])"))
            .Take(packets.Length)];
        Assert.Equal(packets.Length, rows.Length);
        Assert.Equal("open", capture[0].Event);
        Assert.StartsWith("websocket", capture[0].Detail, StringComparison.Ordinal);
        Assert.All(packets, p => Assert.Equal(1, p.Connection));
        Assert.Equal(rows.Select(r => r[0] == "out" ? PacketDirection.ClientToServer : PacketDirection.ServerToClient), packets.Select(p => p.Direction!.Value));
        Assert.Equal(Enumerable.Range(1, packets.Count(p => p.Direction == PacketDirection.ClientToServer)),
            packets.Where(p => p.Direction == PacketDirection.ClientToServer).Select(p => p.Index));
        Assert.Equal(3, packets.Count(p => BitConverter.ToInt64(p.Payload) == 0 && p.Direction == PacketDirection.ClientToServer)); // the handshake's three requests
        Assert.Contains(packets, p => p.Detail == "refused by the browser: auth_key_id is not this key");

        // Every encrypted packet opens under the page's key, with the msg_id the table shows for it.
        using var key = AuthKey.FromBytes(Convert.FromHexString(await page.EvaluateAsync<string>("() => window.testbed.saved.authKey")));
        string[] msgIds = [.. packets.Zip(rows).Where(pair => BitConverter.ToInt64(pair.First.Payload) == key.Id).Select(pair =>
        {
            byte[] plaintext = new byte[pair.First.Payload!.Length - MessageEnvelope.WireHeaderSize];
            MessageDirection direction = pair.First.Direction == PacketDirection.ClientToServer ? MessageDirection.ClientToServer : MessageDirection.ServerToClient;
            Assert.True(MessageEnvelope.TryDecrypt(key, direction, pair.First.Payload, plaintext, out DecryptedEnvelope envelope), "an exported packet does not decrypt");
            Assert.Equal(pair.Second[1], envelope.Header.MsgId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return pair.Second[1];
        })];
        Assert.Equal(rows.Count(r => r[1] != ""), msgIds.Length);

        await page.SelectOptionAsync("[data-testid=filter-direction]", "out");
        CaptureRecord[] sent = [.. (await ExportAsync(page)).Where(r => r.Payload is not null)];
        Assert.All(sent, r => Assert.Equal(PacketDirection.ClientToServer, r.Direction));
        Assert.Equal(packets.Where(p => p.Direction == PacketDirection.ClientToServer).Select(p => Convert.ToHexString(p.Payload!)),
            sent.Take(packets.Count(p => p.Direction == PacketDirection.ClientToServer)).Select(p => Convert.ToHexString(p.Payload!)));
    }

    /// <summary>What the lab's reader reads from the file the Export button downloads.</summary>
    private static async Task<IReadOnlyList<CaptureRecord>> ExportAsync(IPage page)
    {
        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("[data-testid=export-capture]"));
        string path = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():n}-{download.SuggestedFilename}");
        await download.SaveAsAsync(path);
        try
        {
            return Capture.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A packet under no key the page knows, as if from the network: the session refuses it, the inspector lists it.</summary>
    private static async Task InjectForgedPacketAsync(IPage page)
    {
        await page.EvaluateAsync("() => window.testbed.transport.onPacket(new Uint8Array(24 + 64).fill(7))");
        await page.WaitForSelectorAsync($"{Rows}.refused");
    }

    [Fact]
    public async Task The_inspector_prints_auth_key_id_as_the_server_s_security_events_do()
    {
        await using ChatPage alice = await OpenPacketsAsync();
        IPage page = alice.Page;
        string log = await SecurityEvents.ReadWhenAsync(_server.DataDirectory, text => text.Contains("auth_key_created", StringComparison.Ordinal));
        string serverId = log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Single(e => e.GetProperty("event").GetString() == "auth_key_created").GetProperty("authKeyId").GetString()!;

        string ready = await page.InnerTextAsync("[data-testid=timeline] li[data-step='auth key ready'] pre");
        Assert.Equal(serverId, JsonDocument.Parse(ready).RootElement.GetProperty("auth_key_id").GetString());

        await page.ClickAsync($"{Rows}[data-direction=out][data-msg-id]");
        ILocator label = page.Locator("[data-testid=packet-fields] button[data-field=auth_key_id]");
        Assert.Equal($"auth_key_id = {serverId} (little-endian on the wire)", await label.InnerTextAsync());
        await label.ClickAsync();
        string wireOrder = string.Concat(await page.EvalOnSelectorAllAsync<string[]>("[data-testid=packet-bytes] span.mark", "spans => spans.map(s => s.textContent)"));
        Assert.Equal(serverId, string.Concat(Convert.FromHexString(wireOrder).Reverse().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))));
    }
}
