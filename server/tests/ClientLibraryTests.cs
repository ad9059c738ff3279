using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Tests;

/// <summary>The C# client library (protocol/Client) against the running server, on every transport.</summary>
public sealed class ClientLibraryTests : RunningServerTest
{
    public static TheoryData<string> Transports() => new()
    {
        "tcp", "tcp-abridged", "tcp-padded", "tcp-full", "tcp-obfuscated-abridged", "tcp-obfuscated", "tcp-obfuscated-padded", "websocket",
        "websocket-obfuscated", "http",
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_client_connects_and_pings_with_every_packet_observed(string transport)
    {
        var packets = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        await using MtProtoClient client = await Clients.ConnectAsync(Server, transport, (_, sent) => packets.Enqueue(sent));

        TlObject pong = await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 99L)));
        Assert.Equal(99, pong.Get<long>("ping_id"));
        Assert.Equal([true, false, true, false, true, false], packets.Take(6)); // the handshake: three exchanges
        Assert.True(packets.Count(sent => sent) >= 4 && packets.Count(sent => !sent) >= 4);
    }

    [Fact]
    public async Task A_transport_error_arrives_as_a_packet_with_its_code()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        (byte[] wire, _) = client.Session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        wire[30] ^= 1;
        await client.SendRawAsync(wire);
        using var timeout = new CancellationTokenSource(Clients.Patience);
        ReceivedPacket refusal = await client.WaitForPacketAsync(p => p.TransportError != 0, timeout.Token);
        Assert.Equal(-404, refusal.TransportError);
    }

    [Fact]
    public async Task A_wrong_salt_and_a_wrong_clock_are_corrected_and_the_request_resent()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        client.Session.Salt ^= 0x1234;
        client.Session.MsgIds.ClockOffset -= TimeSpan.FromMinutes(10);

        TlObject pong = await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 7L)));
        Assert.Equal(7, pong.Get<long>("ping_id"));
        Assert.InRange(client.Session.MsgIds.ClockOffset.Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_rpc_error_becomes_an_RpcException_with_code_and_message()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        RpcException error = await Assert.ThrowsAsync<RpcException>(() => client.InvokeAsync(Clients.Call("chat.getSelf")));
        Assert.Equal((401, "USER_NOT_REGISTERED"), (error.Code, error.ErrorMessage));
    }

    [Fact]
    public async Task A_resumed_key_starts_a_new_session_and_finds_the_salt_itself()
    {
        byte[] key;
        await using (MtProtoClient first = await Clients.ConnectAsync(Server))
        {
            await Clients.RegisterAsync(first, "resumer");
            key = first.AuthKey.Bytes.ToArray();
        }

        await using MtProtoClient again = MtProtoClient.Resume(await Clients.TransportAsync(Server, "websocket"), key);
        TlObject me = await Clients.WithinPatience(again.InvokeAsync(Clients.Call("chat.getSelf")));
        Assert.Equal("resumer", Clients.Text(me, "name"));
    }
}
