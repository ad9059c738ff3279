using System.Net;
using System.Text;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Protocol.Envelope;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// The browser client through the replay lab's intercepting proxy (docs/lab.md): the page, its WebSocket and its
/// packets all pass the proxy, and the browser's re-sends are checked for the same-header leak (2022 attack 2) — the
/// browser part of the lab's resend-header experiment. (The lab clock cannot provoke the browser's re-sends: a browser
/// whose clock is suddenly 400 s behind the server refuses the server's messages as too far in the future, by design.)
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class BrowserThroughProxyTests(BrowserFixture browser) : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_browser_chats_through_the_proxy_and_its_re_sends_never_reuse_a_header()
    {
        using var capture = new Capture(null, "browser test", _server.HttpBase.ToString());
        await using WebInterceptingProxy proxy = await WebInterceptingProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), _server.HttpBase,
            new ProxyCore(capture, []));
        Uri proxyBase = new($"http://127.0.0.1:{proxy.Port}");
        await using ChatPage alice = await ChatPage.OpenAsync(browser.Browser, proxyBase);
        await using ChatPage bob = await ChatPage.OpenAsync(browser.Browser, _server.HttpBase);
        long aliceId = await alice.RegisterAsync("alice");
        long bobId = await bob.RegisterAsync("bob");
        await alice.OpenConversationAsync(bobId);
        await bob.OpenConversationAsync(aliceId);
        await alice.SendAsync("first");
        await bob.ExpectMessagesAsync("first");

        // The proxy swallows what Alice sends next, then cuts her connection: the server never saw the message, so the
        // browser must send it again after reconnecting — under a new header (same random_id, so Bob sees it once).
        proxy.Core.SetRules([ProxyRule.Parse("c2s:*:drop", out _)!]);
        await alice.SendAsync("sent twice");
        await WaitForAsync(() => capture.Records.Any(r => r.Event == "dropped"));
        await Task.Delay(300); // anything else the browser sends with it is dropped too
        proxy.Core.SetRules([]);
        foreach (ProxiedConnection connection in proxy.Core.Connections.Values)
        {
            await connection.DisposeAsync();
        }

        await bob.ExpectMessagesAsync("first", "sent twice");
        await alice.ExpectMessagesAsync("first", "sent twice");

        using var key = AuthKey.FromBytes(Convert.FromHexString(await alice.Page.EvaluateAsync<string>("() => window.testbed.saved.authKey")));
        var headers = new Dictionary<(long, int), HashSet<string>>();
        int carryingTheText = 0;
        foreach (CaptureRecord packet in capture.Records.Where(r => r.Direction == PacketDirection.ClientToServer && r.Event is "forwarded" or "dropped"
            && r.Payload is { Length: > 24 } p && BitConverter.ToInt64(p) == key.Id))
        {
            byte[] plaintext = new byte[packet.Payload!.Length - MessageEnvelope.WireHeaderSize];
            Assert.True(MessageEnvelope.TryDecrypt(key, MessageDirection.ClientToServer, packet.Payload, plaintext, out DecryptedEnvelope envelope),
                "a packet the browser sent does not decrypt under its own key");
            headers.TryAdd((envelope.Header.MsgId, envelope.Header.SeqNo), []);
            headers[(envelope.Header.MsgId, envelope.Header.SeqNo)].Add(Convert.ToHexString(packet.Payload));
            carryingTheText += plaintext.AsSpan().IndexOf("sent twice"u8) >= 0 ? 1 : 0;
        }

        // The browser obfuscates its WebSocket by default (docs/protocol.md §6.1), and the proxy strips it with the keys in the init.
        Assert.Contains(capture.Records, r => r.Event == "open" && r.Detail!.StartsWith("websocket obfuscated Intermediate", StringComparison.Ordinal));
        Assert.True(carryingTheText >= 2, $"the message was sent {carryingTheText} time(s): the re-send after the reconnection did not happen");
        Assert.All(headers, h => Assert.True(h.Value.Count == 1, $"msg_id {h.Key.Item1:x16}, seq_no {h.Key.Item2} under {h.Value.Count} ciphertexts"));
        Assert.Single(await bob.MessagesAsync(), m => m == "sent twice");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int waited = 0; waited < 10_000 && !condition(); waited += 20)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "timed out waiting for the proxy");
    }
}
