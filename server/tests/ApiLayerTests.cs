using System.Buffers.Binary;
using System.Text.Json;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>
/// What a real client sends past the service messages (issue 14, docs/protocol.md §4.3, §9): each message's body read
/// on its own, unknown methods answered with rpc_error, the API wrappers unwrapped, invokeAfterMsg's order kept, and
/// refusals inside a container logged one by one.
/// </summary>
public sealed class ApiLayerTests : RunningSessionTest
{
    private const uint UnknownFunction = 0xdeadbeef;

    [Fact]
    public async Task An_unknown_function_in_a_container_gets_rpc_error_and_the_messages_beside_it_are_processed()
    {
        (byte[] wire, _, EnvelopeHeader[] inner) = Session.EncryptContainer([(Unknown(), true), (ClientFlows.Ping(1), true)]);
        List<TlObject> answers = await ExchangeAsync(wire);
        Assert.Equal((400, "INPUT_METHOD_INVALID"), ErrorFor(answers, inner[0].MsgId));
        Assert.Contains(answers, a => a.Combinator.Name == "pong" && a.Get<long>("ping_id") == 1);
    }

    public static TheoryData<string, string, string> UnreadableBodies() => new()
    {
        { "unknown function", "INPUT_METHOD_INVALID", "unknown_method" },
        { "unknown function inside invokeWithLayer", "INPUT_METHOD_INVALID", "unknown_method" },
        { "ping cut short", "INPUT_FETCH_FAIL", "malformed_message" },
    };

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task A_body_that_does_not_parse_gets_a_readable_rpc_error_and_the_session_goes_on(string body, string expected, string logged)
    {
        byte[] data = body switch
        {
            "unknown function" => Unknown(),
            "unknown function inside invokeWithLayer" => [.. Serialize(Call("invokeWithLayer", 193, Call("help.getNearestDc")))[..^4], .. Unknown()[..4]],
            _ => ClientFlows.Ping(1)[..8],
        };
        EnvelopeHeader header = Session.NextHeader(true);
        List<TlObject> answers = await ExchangeAsync(Session.Encrypt(header, data, PaddingPolicy.MinimalLength(data.Length)));
        Assert.Equal((400, expected), ErrorFor(answers, header.MsgId));
        Assert.Contains(await ExchangeAsync(Session.Encrypt(ClientFlows.Ping(2), true).Wire), a => a.Combinator.Name == "pong");
        string log = await SecurityEvents.ReadWhenAsync(Server.DataDirectory, t => t.Contains($"\"msgId\":{header.MsgId}", StringComparison.Ordinal));
        Assert.Contains($"\"event\":\"{logged}\"", log.Split('\n').Single(line => line.Contains($"\"msgId\":{header.MsgId}", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_container_whose_framing_does_not_hold_is_refused_whole_with_64()
    {
        EnvelopeHeader a = Session.NextHeader(true), container = Session.NextHeader(false);
        byte[] data = MessageContainer.Build([(a.MsgId, a.SeqNo, ClientFlows.Ping(3))]);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), 2); // a count of 2 with one message
        TlObject refusal = Assert.Single(await ExchangeAsync(Session.Encrypt(container, data, PaddingPolicy.MinimalLength(data.Length))));
        Assert.Equal(("bad_msg_notification", container.MsgId, 64), (refusal.Combinator.Name, refusal.Get<long>("bad_msg_id"), refusal.Get<int>("error_code")));
    }

    [Fact]
    public async Task A_refusal_inside_a_container_is_a_message_refused_event_of_its_own()
    {
        // msgs_ack sent as content-related (odd seq_no), as mtcute 0.30.3 does: code 34, each one logged.
        byte[] ack = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["msgs_ack"], new[] { 1L }));
        (byte[] wire, _, EnvelopeHeader[] inner) = Session.EncryptContainer([(ack, true), (ClientFlows.Ping(4), true)]);
        List<TlObject> answers = await ExchangeAsync(wire);
        Assert.Contains(answers, m => m.Combinator.Name == "bad_msg_notification" && m.Get<int>("error_code") == 34);
        string log = await SecurityEvents.ReadWhenAsync(Server.DataDirectory, t => t.Contains($"\"msgId\":{inner[0].MsgId}", StringComparison.Ordinal));
        Assert.Contains(log.Split('\n'), l => l.Contains("\"event\":\"message_refused\"", StringComparison.Ordinal)
            && l.Contains($"\"msgId\":{inner[0].MsgId}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvokeAfterMsg_runs_after_an_answered_message_and_is_refused_before()
    {
        long neverSent = Session.NextHeader(true).MsgId;
        EnvelopeHeader early = Session.NextHeader(true);
        byte[] data = Serialize(Call("invokeAfterMsg", neverSent, Call("help.getNearestDc")));
        Assert.Equal((400, "MSG_WAIT_FAILED"), ErrorFor(await ExchangeAsync(Session.Encrypt(early, data, PaddingPolicy.MinimalLength(data.Length))), early.MsgId));

        (byte[] ping, EnvelopeHeader pinged) = Session.Encrypt(ClientFlows.Ping(5), true);
        await ExchangeAsync(ping);
        List<TlObject> answers = await ExchangeAsync(Session.Encrypt(Serialize(Call("invokeAfterMsg", pinged.MsgId, Call("help.getNearestDc"))), true).Wire);
        Assert.Contains(answers, a => a.Combinator.Name == "rpc_result" && a.Get<TlObject>("result").Combinator.Name == "nearestDc");
    }

    private async Task<List<TlObject>> ExchangeAsync(byte[] wire) => ClientFlows.Open(Session, await Connection.RoundTripAsync(wire), TlCodec.Testbed);

    private static (int, string)? ErrorFor(List<TlObject> answers, long requestMsgId) => answers
        .Where(a => a.Combinator.Name == "rpc_result" && a.Get<long>("req_msg_id") == requestMsgId)
        .Select(a => a.Get<TlObject>("result"))
        .Where(r => r.Combinator.Name == "rpc_error")
        .Select(r => ((int, string)?)(r.Get<int>("error_code"), Clients.Text(r, "error_message")))
        .FirstOrDefault();

    private static byte[] Unknown()
    {
        byte[] body = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(body, UnknownFunction);
        return body;
    }

    private static TlObject Call(string name, params object?[] values) => Clients.Call(name, values);

    private static byte[] Serialize(TlObject value) => TlCodec.Testbed.Serialize(value);
}

/// <summary>The API wrappers and help functions through the client library, and the msg_id class of pushed updates.</summary>
public sealed class ApiWrapperTests
{
    [Fact]
    public async Task InvokeWithLayer_initConnection_getConfig_describes_this_server_and_the_client_is_logged()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using MtProtoClient client = await Clients.ConnectAsync(server);
        TlObject config = await Clients.WithinPatience(client.InvokeAsync(WithLayer(227, Clients.Call("help.getConfig"))));

        TlObject option = Assert.IsType<TlObject>(Assert.Single(config.Get<object?[]>("dc_options")));
        Assert.Equal(("config", 1, 1, "127.0.0.1", server.TcpPort),
            (config.Combinator.Name, config.Get<int>("this_dc"), option.Get<int>("id"), Clients.Text(option, "ip_address"), option.Get<int>("port")));
        string log = await SecurityEvents.ReadWhenAsync(server.DataDirectory, t => t.Contains("client_identified", StringComparison.Ordinal));
        using JsonDocument identified = JsonDocument.Parse(log.Split('\n').First(l => l.Contains("client_identified", StringComparison.Ordinal)));
        Assert.StartsWith("layer 227, api_id 7, app \"app 1.0\", device \"device\", system \"system\"",
            identified.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Behind a balancer (a cluster's HAProxy), clients are told the balancer's address, not the node's own.</summary>
    [Fact]
    public async Task A_public_tcp_endpoint_is_what_getConfig_and_server_info_give_clients()
    {
        await using RunningServer server = await RunningServer.StartAsync("--Testbed:PublicTcpEndpoint=127.0.0.2:7101");
        await using MtProtoClient client = await Clients.ConnectAsync(server);
        TlObject config = await Clients.WithinPatience(client.InvokeAsync(WithLayer(227, Clients.Call("help.getConfig"))));
        TlObject option = Assert.IsType<TlObject>(Assert.Single(config.Get<object?[]>("dc_options")));
        Assert.Equal(("127.0.0.2", 7101), (Clients.Text(option, "ip_address"), option.Get<int>("port")));

        using var http = new HttpClient();
        using JsonDocument info = JsonDocument.Parse(await http.GetStringAsync(new Uri(server.HttpBase, "/server-info")));
        Assert.Equal("127.0.0.2:7101", info.RootElement.GetProperty("transports").GetProperty("tcp").GetString());
    }

    [Fact]
    public async Task GetConfig_under_a_layer_it_cannot_write_is_a_clean_rpc_error_and_getNearestDc_names_this_dc()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using MtProtoClient client = await Clients.ConnectAsync(server);
        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => client.InvokeAsync(WithLayer(100, Clients.Call("help.getConfig"))));
        Assert.Equal((400, "CONNECTION_LAYER_INVALID"), (refused.Code, refused.ErrorMessage));

        TlObject nearest = await Clients.WithinPatience(client.InvokeAsync(Clients.Call("help.getNearestDc")));
        Assert.Equal((1, 1), (nearest.Get<int>("this_dc"), nearest.Get<int>("nearest_dc")));
    }

    [Fact]
    public async Task A_pushed_update_has_a_msg_id_of_3_mod_4_and_the_answer_beside_it_1_mod_4()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using MtProtoClient client = await Clients.ConnectAsync(server);
        long me = await Clients.RegisterAsync(client, "self");
        using var patience = new CancellationTokenSource(Clients.Patience);
        var seen = new List<ReceivedMessage>();
        Task<ReceivedPacket> pushed = client.WaitForPacketAsync(p =>
        {
            seen.AddRange(p.Messages);
            return p.Messages.Any(m => m.Body.Combinator.Name == "chat.updateNewMessage");
        }, patience.Token);
        long sent = await client.SendAsync(Clients.Call("chat.sendMessage", me, 77L, Clients.Text("to myself")));
        await pushed;

        ReceivedMessage update = seen.First(m => m.Body.Combinator.Name == "chat.updateNewMessage");
        ReceivedMessage answer = seen.First(m => m.Body.Combinator.Name == "rpc_result" && m.Body.Get<long>("req_msg_id") == sent);
        Assert.Equal((3L, 1L), (update.MsgId & 3, answer.MsgId & 3));
    }

    private static TlObject WithLayer(int layer, TlObject query) => Clients.Call("invokeWithLayer", layer, Clients.Call("initConnection", 0, 7,
        Clients.Text("device"), Clients.Text("system"), Clients.Text("app 1.0"), Clients.Text("en"), Clients.Text(""), Clients.Text("en"), null, null, query));
}

/// <summary>Testbed:AcceptLegacyRsa (issue 14): off by default, on when set, listed in /server-info, warned about at start-up.</summary>
public sealed class LegacyRsaSettingTests
{
    [Fact]
    public async Task The_legacy_encoding_is_refused_by_default_and_accepted_when_the_setting_is_on()
    {
        var legacy = new HandshakeClientOptions { UseLegacyRsa = true };
        await using (RunningServer strict = await RunningServer.StartAsync())
        {
            await Assert.ThrowsAsync<TransportErrorException>(async () =>
                await MtProtoClient.ConnectAsync(await Clients.TransportAsync(strict, "tcp"), strict.PublicKey, legacy));
            Assert.False(await AcceptLegacyRsaListedAsync(strict));
        }

        await using RunningServer lenient = await RunningServer.StartAsync("--Testbed:AcceptLegacyRsa=true");
        await using MtProtoClient client = await MtProtoClient.ConnectAsync(await Clients.TransportAsync(lenient, "tcp"), lenient.PublicKey, legacy);
        Assert.Equal("pong", (await Clients.WithinPatience(client.RequestAsync(Clients.Call("ping", 6L)))).Combinator.Name);
        Assert.True(await AcceptLegacyRsaListedAsync(lenient));
    }

    [Fact]
    public async Task The_server_warns_at_start_up_while_legacy_rsa_is_accepted()
    {
        await using ServerProcess server = await ServerProcess.StartAsync("--Testbed:AcceptLegacyRsa=true");
        Assert.Equal(0, await server.StopAsync());
        Assert.Contains(server.Output, l => l.Contains("LEGACY RSA ON (Testbed:AcceptLegacyRsa)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Server_info_lists_what_the_sessions_serve()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.HttpBase };
        using JsonDocument info = JsonDocument.Parse(await http.GetStringAsync(new Uri("/server-info", UriKind.Relative)));
        JsonElement sessions = info.RootElement.GetProperty("encryptedSessions");
        Assert.Equal(["invokeAfterMsg", "invokeAfterMsgs", "initConnection", "invokeWithLayer", "invokeWithoutUpdates"],
            sessions.GetProperty("apiWrappers").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("chat.sendMessage", sessions.GetProperty("chat").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("ping", sessions.GetProperty("mtprotoFunctions").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain("req_pq_multi", sessions.GetProperty("mtprotoFunctions").EnumerateArray().Select(e => e.GetString()));
    }

    private static async Task<bool> AcceptLegacyRsaListedAsync(RunningServer server)
    {
        using var http = new HttpClient { BaseAddress = server.HttpBase };
        using JsonDocument info = JsonDocument.Parse(await http.GetStringAsync(new Uri("/server-info", UriKind.Relative)));
        return info.RootElement.GetProperty("acceptLegacyRsa").GetBoolean();
    }
}

/// <summary>The outbox stamps each server message with its msg_id class (docs/protocol.md §3.1).</summary>
public sealed class OutboxMsgIdClassTests
{
    [Fact]
    public void Answers_are_1_mod_4_and_unprompted_messages_3_mod_4()
    {
        var outbox = new Sessions.SessionOutbox(new ManualClock(DateTimeOffset.UtcNow));
        Sessions.OutgoingMessage answer = outbox.Add([1, 2, 3, 4], contentRelated: true, keepUntilAcked: false);
        Sessions.OutgoingMessage pushed = outbox.Add([1, 2, 3, 4], contentRelated: true, keepUntilAcked: true, unprompted: true);
        Assert.Equal((1L, 3L), (answer.MsgId & 3, pushed.MsgId & 3));
        Assert.True(pushed.MsgId > answer.MsgId);
    }
}
