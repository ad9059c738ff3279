using System.Text.Json;
using Testbed.Server;
using Testbed.Server.Tests;

namespace Testbed.Client.Tests;

/// <summary>
/// A correct client never trips the server's security log in normal use. Over HTTP each POST is its own request, so
/// concurrent POSTs of one session can reach the server out of msg_id order, and the server's strict order
/// (docs/protocol.md §3.4, §3.7 step 5) refuses the overtaken one; the client must not let that happen.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class HttpOrderTests(BrowserFixture browser) : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_normal_chat_over_http_leaves_no_refusal_in_the_security_log()
    {
        (ChatPage alice, ChatPage bob, _, long bobId) = await ChatPage.OpenPairAsync(browser.Browser, _server.HttpBase, "http");
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        var expected = new List<string>();
        for (int round = 0; round < 3; round++)
        {
            // A quick typist: three messages each, without waiting for the answers.
            for (int i = 0; i < 3; i++)
            {
                await alice.SendAsync($"alice {round}.{i}");
                await bob.SendAsync($"bob {round}.{i}");
                expected.AddRange([$"alice {round}.{i}", $"bob {round}.{i}"]);
            }

            await alice.ExpectMessageCountAsync(expected.Count);
            await bob.ExpectMessageCountAsync(expected.Count);
        }

        await alice.Page.ReloadAsync();
        await alice.WaitConnectedAsync();
        await alice.Page.WaitForSelectorAsync("[data-testid=me][data-user-id]");
        await alice.OpenConversationAsync(bobId); // the history
        await alice.ExpectMessageCountAsync(expected.Count);
        await alice.SendAsync("after reload");
        await bob.ExpectMessageCountAsync(expected.Count + 1);
        await bob.SendAsync("last");
        await alice.ExpectMessageCountAsync(expected.Count + 2);

        string[] refusals = ReadEvents().Where(e => !Normal.Contains(e.Name)).Select(e => e.Line).ToArray();
        Assert.True(refusals.Length == 0, $"the security log holds {refusals.Length} refusal(s):\n{string.Join('\n', refusals)}");
    }

    /// <summary>Events that normal use writes: a key made, a connection that ended, a session's initConnection.</summary>
    private static readonly HashSet<string> Normal = ["auth_key_created", "connection_closed", "client_identified"];

    private IEnumerable<(string Name, string Line)> ReadEvents()
    {
        string path = Path.Combine(_server.DataDirectory, SecurityEventLog.FileName);
        return File.Exists(path)
            ? File.ReadAllLines(path).Select(line => (JsonDocument.Parse(line).RootElement.GetProperty("event").GetString()!, line))
            : [];
    }
}
