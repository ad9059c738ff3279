using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>The C# client library (protocol/Client) against the running server, on every transport.</summary>
public sealed class ClientLibraryTests : RunningServerTest
{
    public static TheoryData<string> Transports() => new() { "tcp-abridged", "tcp-full", "websocket", "http" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_client_connects_and_pings_with_every_packet_observed(string transport)
    {
        IPacketTransport connection = transport switch
        {
            "tcp-abridged" => await TcpPacketTransport.ConnectAsync("127.0.0.1", Server.TcpPort, TransportFraming.Abridged),
            "tcp-full" => await TcpPacketTransport.ConnectAsync("127.0.0.1", Server.TcpPort, TransportFraming.Full),
            "websocket" => await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{Server.HttpPort}/apiws")),
            _ => new HttpPacketTransport(new Uri(Server.HttpBase, "/api")),
        };
        var packets = new List<(int Length, bool Sent)>();
        await using MtProtoClient client = await MtProtoClient.ConnectAsync(connection, Server.PublicKey,
            packetObserver: (packet, sent) => packets.Add((packet.Length, sent)));

        IReadOnlyList<TlObject> answer = await client.SendAsync(new TlObject(TlSchema.MTProto["ping"], 99L));
        Assert.Equal(99, answer.Single(o => o.Combinator.Name == "pong").Get<long>("ping_id"));
        Assert.Equal(8, packets.Count); // three handshake exchanges and one ping, each both ways
        Assert.Equal([true, false, true, false, true, false, true, false], packets.Select(p => p.Sent));
    }

    [Fact]
    public async Task A_transport_error_surfaces_as_an_exception_with_its_code()
    {
        await using TcpPacketTransport connection = await TcpPacketTransport.ConnectAsync("127.0.0.1", Server.TcpPort, TransportFraming.Intermediate);
        await using MtProtoClient client = await MtProtoClient.ConnectAsync(connection, Server.PublicKey);
        (byte[] wire, _) = client.Session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        wire[30] ^= 1;
        var error = await Assert.ThrowsAsync<TransportErrorException>(() => client.SendRawAsync(wire));
        Assert.Equal(-404, error.Code);
    }
}
