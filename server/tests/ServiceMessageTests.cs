using System.Text.Json;
using Testbed.Protocol.Client;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Tests;

/// <summary>The MTProto service messages beyond ping: state queries, re-send requests, destruction, timers, limits.</summary>
public sealed class ServiceMessageTests : RunningServerTest
{
    [Fact]
    public async Task Msgs_state_req_reports_received_unknown_and_future_ids()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        long first = await client.SendAsync(Clients.Call("ping", 1L));
        long gap = first + 4; // between two processed ids, never sent
        await client.RequestAsync(Clients.Call("ping", 2L));
        long future = client.Session.MsgIds.Last + (1L << 32);

        TlObject info = await Clients.WithinPatience(client.RequestAsync(Clients.Call("msgs_state_req", new[] { first, gap, future, 4L })));
        byte[] states = info.Get<byte[]>("info");
        Assert.Equal(
            [MessageStatus.Received | MessageStatus.RpcProcessed | MessageStatus.ResponseGenerated, MessageStatus.NotReceived,
                MessageStatus.NotReceivedYet, MessageStatus.Unknown],
            states.Select(b => (int)b));
    }

    [Fact]
    public async Task Msg_resend_req_gets_the_message_again_under_a_new_header()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        client.SendAcks = false;
        await Assert.ThrowsAsync<RpcException>(() => client.InvokeAsync(Clients.Call("chat.getSelf")));
        using var timeout = new CancellationTokenSource(Clients.Patience);
        ReceivedPacket answer = await client.WaitForPacketAsync(p => p.Messages.Any(m => m.Body.Combinator.Name == "rpc_result"), timeout.Token);
        long resultId = answer.Messages.Single(m => m.Body.Combinator.Name == "rpc_result").MsgId;

        await client.SendAsync(Clients.Call("msg_resend_req", new[] { resultId, 12345L }));
        ReceivedPacket resent = await client.WaitForPacketAsync(p => p.Messages.Any(m => m.MsgId == resultId), timeout.Token);
        Assert.NotEqual(resultId, resent.Header!.Value.MsgId);
        Assert.True(resent.Messages.Single(m => m.MsgId == resultId).Duplicate);
    }

    [Fact]
    public async Task A_repeated_request_whose_answer_was_acknowledged_gets_msg_detailed_info()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        EnvelopeHeaderAndWire request = Encrypt(client, Clients.Call("chat.getSelf"));
        await client.SendRawAsync(request.Wire);
        using var timeout = new CancellationTokenSource(Clients.Patience);
        ReceivedPacket answer = await client.WaitForPacketAsync(p => p.Messages.Any(m => m.Body.Combinator.Name == "rpc_result"), timeout.Token);
        long resultId = answer.Messages.Single(m => m.Body.Combinator.Name == "rpc_result").MsgId;
        await client.SendAsync(Clients.Call("msgs_ack", new[] { resultId }));

        await client.SendRawAsync(request.Wire); // the same packet again
        ReceivedPacket info = await client.WaitForPacketAsync(p => p.Messages.Any(m => m.Body.Combinator.Name == "msg_detailed_info"), timeout.Token);
        TlObject detail = info.Messages.Single(m => m.Body.Combinator.Name == "msg_detailed_info").Body;
        Assert.Equal((request.MsgId, resultId), (detail.Get<long>("msg_id"), detail.Get<long>("answer_msg_id")));
    }

    [Fact]
    public async Task Destroy_session_forgets_another_session_but_not_the_current_one()
    {
        await using MtProtoClient first = await Clients.ConnectAsync(Server);
        await using MtProtoClient second = MtProtoClient.Resume(await Clients.TransportAsync(Server, "tcp"), first.AuthKey.Bytes, first.Session.Salt);
        await second.RequestAsync(Clients.Call("ping", 1L));

        Assert.Equal("destroy_session_ok", (await first.InvokeAsync(Clients.Call("destroy_session", second.Session.SessionId))).Combinator.Name);
        Assert.Equal("destroy_session_none", (await first.InvokeAsync(Clients.Call("destroy_session", second.Session.SessionId))).Combinator.Name);
        Assert.Equal("destroy_session_none", (await first.InvokeAsync(Clients.Call("destroy_session", first.Session.SessionId))).Combinator.Name);
    }

    [Fact]
    public async Task After_destroy_auth_key_the_key_is_unknown()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        Assert.Equal("destroy_auth_key_ok", (await Clients.WithinPatience(client.InvokeAsync(Clients.Call("destroy_auth_key")))).Combinator.Name);
        TransportErrorException error = await Assert.ThrowsAsync<TransportErrorException>(() => client.RequestAsync(Clients.Call("ping", 2L)));
        Assert.Equal(-404, error.Code);
        Assert.Null(Server.AuthKeys.Load(client.AuthKey.Id, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Ping_delay_disconnect_closes_the_connection_when_no_ping_follows()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        byte[] ping = TlCodec.MTProto.Serialize(Clients.Call("ping_delay_disconnect", 3L, 1));
        (byte[] wire, _) = test.Session.Encrypt(ping, contentRelated: true);

        // Timed from before the ping is sent, so the server's timer cannot have started earlier: at least the delay
        // passes however slowly either side runs (an upper bound would only measure the machine's load).
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Contains(ClientFlows.Open(test.Session, await test.Connection.RoundTripAsync(wire)), o => o.Combinator.Name == "pong");
        Assert.Null(await ((TestTransport)test.Connection).TryReceiveAsync()); // closed by the server
        Assert.True(started.Elapsed >= TimerDelay(TimeSpan.FromSeconds(1)), $"closed after {started.Elapsed}, before the 1 s delay");
    }

    [Fact]
    public async Task An_http_wait_with_nothing_to_send_ends_empty_after_max_wait()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "http");
        (byte[] first, _) = test.Session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        await test.Connection.RoundTripAsync(first); // new_session_created and pong out of the way
        byte[] wait = TlCodec.MTProto.Serialize(Clients.Call("http_wait", 0, 0, 700));
        (byte[] wire, _) = test.Session.Encrypt(wait, contentRelated: true);

        var started = System.Diagnostics.Stopwatch.StartNew(); // before the request: max_wait cannot start earlier
        (int status, byte[] body) = await ((HttpTestTransport)test.Connection).PostAsync(wire);
        Assert.Equal((200, 0), (status, body.Length));
        Assert.True(started.Elapsed >= TimerDelay(TimeSpan.FromMilliseconds(700)), $"answered after {started.Elapsed}, before max_wait");
    }

    [Fact]
    public async Task An_ack_list_longer_than_8192_ids_is_ignored_and_logged()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        await client.SendAsync(Clients.Call("msgs_ack", Enumerable.Range(1, ServiceMessageLimit + 1).Select(i => (long)i).ToArray()));
        await client.RequestAsync(Clients.Call("ping", 1L)); // processed after the ack, so the event is written

        string[] lines = await File.ReadAllLinesAsync(Path.Combine(Server.DataDirectory, SecurityEventLog.FileName));
        string session = ((ulong)client.Session.SessionId).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(lines.Select(l => JsonDocument.Parse(l).RootElement), e => e.GetProperty("event").GetString() == "message_ignored"
            && e.GetProperty("detail").GetString()!.Contains("8193 msg_ids", StringComparison.Ordinal)
            && e.GetProperty("sessionId").GetString() == session && e.GetProperty("msgId").GetInt64() != 0);
    }

    [Fact]
    public async Task A_temporary_key_stops_working_after_expires_in()
    {
        // The lab clock stands in for the hour passing, so neither a slow handshake nor a slow machine moves the expiry.
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:LabClock=true");
        IPacketTransport transport = await Clients.TransportAsync(server, "tcp");
        await using MtProtoClient client = await MtProtoClient.ConnectAsync(transport, server.PublicKey,
            new Testbed.Protocol.Handshake.HandshakeClientOptions { TemporaryKeyExpiresIn = 3600 });
        Assert.Equal(1, (await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 1L)))).Get<long>("ping_id"));

        using var http = new HttpClient();
        (await http.PostAsync(new Uri(server.HttpBase, "/lab/clock?advance=3600"), null)).EnsureSuccessStatusCode();
        TransportErrorException error = await Assert.ThrowsAsync<TransportErrorException>(() => client.RequestAsync(Clients.Call("ping", 2L)));
        Assert.Equal(-404, error.Code);
    }

    private const int ServiceMessageLimit = 8192;

    // A system timer may fire up to one tick of the OS clock (~16 ms on some systems) before its due time.
    private static TimeSpan TimerDelay(TimeSpan delay) => delay - TimeSpan.FromMilliseconds(20);

    private sealed record EnvelopeHeaderAndWire(long MsgId, byte[] Wire);

    private static EnvelopeHeaderAndWire Encrypt(MtProtoClient client, TlObject body)
    {
        (byte[] wire, Testbed.Protocol.Envelope.EnvelopeHeader header) = client.Session.Encrypt(TlCodec.Testbed.Serialize(body), contentRelated: true);
        return new EnvelopeHeaderAndWire(header.MsgId, wire);
    }
}
