using Testbed.Server.Tests;
using Testbed.Server.Tests.Cluster;

namespace Testbed.Client.Tests;

/// <summary>
/// The browser client against a cluster (cluster/up.sh: three nodes behind HAProxy, round robin, no stickiness), as
/// against one server: two users handshake through the front, register and chat both ways, on every transport. Over
/// HTTP each request may reach another node; over WebSocket the two users are on different nodes more often than not.
/// </summary>
[Collection(SharedBrowser.Name)]
public sealed class ClusterChatTests(BrowserFixture browser, ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Theory]
    [InlineData("websocket")]
    [InlineData("websocket-plain")]
    [InlineData("http")]
    public async Task Two_users_chat_both_ways_through_the_cluster_front(string transport)
    {
        (ChatPage alice, ChatPage bob, _, _) = await ChatPage.OpenPairAsync(browser.Browser, new Uri($"http://127.0.0.1:{cluster.Cluster.FrontHttp}"), transport);
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        await ChatPage.ChatBothWaysAsync(alice, bob);
    }
}
