using Testbed.Protocol.Client;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests.Cluster;

/// <summary>A cluster whose nodes allow 6 handshake messages (2 handshakes) per address and minute.</summary>
public sealed class LowHandshakeLimitCluster : IAsyncLifetime
{
    public RunningCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RunningCluster.StartAsync("--Testbed:HandshakeMessagesPerMinute=6");

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// The per-address handshake budget holds for the cluster, not per node (docs/cluster.md): two handshakes on two nodes
/// spend it, and a third on the third node is refused with -429, which that node's own bucket alone would have allowed.
/// </summary>
public sealed class ClusterHandshakeLimitTests(LowHandshakeLimitCluster fixture) : IClassFixture<LowHandshakeLimitCluster>
{
    [Fact]
    public async Task Three_handshakes_on_three_nodes_spend_one_budget()
    {
        RunningCluster cluster = fixture.Cluster;
        foreach (int node in new[] { 1, 2 })
        {
            await using MtProtoClient client = await MtProtoClient.ConnectAsync(
                await TcpPacketTransport.ConnectAsync("127.0.0.1", cluster.NodeTcp(node), TransportFraming.Intermediate), cluster.PublicKey);
        }

        TransportErrorException refused = await Assert.ThrowsAsync<TransportErrorException>(async () => await MtProtoClient.ConnectAsync(
            await TcpPacketTransport.ConnectAsync("127.0.0.1", cluster.NodeTcp(3), TransportFraming.Intermediate), cluster.PublicKey));
        Assert.Equal(-429, refused.Code);
    }
}
