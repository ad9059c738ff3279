using Testbed.Server.Tests;
using Testbed.Server.Tests.Cluster;

namespace Testbed.Client.Tests;

/// <summary>
/// The browser client against a cluster (cluster/up.sh: three nodes behind HAProxy, round robin, no stickiness), as
/// against one server (<see cref="ChatScenarios"/>): two users handshake through the front, register and chat both ways,
/// on every transport; the inspector; a reload; and every node killed with kill -9 and started again. Over HTTP each
/// request may reach another node; over WebSocket the two users are on different nodes more often than not, and a
/// reconnect lands on another node than the last.
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
        (ChatPage alice, ChatPage bob, _, _) = await ChatPage.OpenPairAsync(browser.Browser, Front, transport);
        await using ChatPage a = alice;
        await using ChatPage b = bob;
        await ChatPage.ChatBothWaysAsync(alice, bob);
    }

    [Fact]
    public Task The_inspector_shows_the_handshake_and_the_packets_through_the_front() =>
        ChatScenarios.InspectorShowsHandshakeAndPacketsAsync(browser.Browser, Front);

    [Fact]
    public Task A_reload_through_the_front_keeps_the_key_and_the_history() =>
        ChatScenarios.ReloadKeepsKeyAndHistoryAsync(browser.Browser, Front);

    /// <summary>Every node killed with kill -9 and started again: PostgreSQL and Redis hold what the clients need.</summary>
    [Fact]
    public Task After_every_node_is_killed_and_restarted_nothing_is_lost_or_duplicated() =>
        ChatScenarios.RestartLosesNothingAsync(browser.Browser, Front, async () =>
        {
            foreach (int node in new[] { 1, 2, 3 })
            {
                await cluster.Cluster.KillNodeAsync(node);
            }

            foreach (int node in new[] { 1, 2, 3 })
            {
                await cluster.Cluster.StartNodeAsync(node);
            }
        });

    private Uri Front => new($"http://127.0.0.1:{cluster.Cluster.FrontHttp}");
}
