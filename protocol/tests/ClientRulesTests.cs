using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

/// <summary>
/// The rules <see cref="MtProtoClient"/> follows with server packets (the client conformance suite's R2–R6) and the
/// <see cref="ClientFaults"/> that remove them one each: every rule is checked with its fault off and on.
/// </summary>
public sealed class ClientRulesTests
{
    private static readonly TlSchema Schema = TlSchema.Testbed;
    private static readonly TlObject Update = new(Schema["updateShort"], new TlObject(Schema["updateConfig"]), 1);

    [Property(MaxTest = 40)]
    public Property A_server_msg_id_is_taken_only_inside_the_300_s_back_30_s_ahead_window(int seconds, bool fault)
    {
        int offset = seconds % 1000;
        offset += Math.Abs(offset + 300) < 3 || Math.Abs(offset - 30) < 3 ? 6 : 0; // clear of the edges (the clock moves)
        long msgId = (MsgId.FromTime(DateTimeOffset.UtcNow.AddSeconds(offset)) & ~3L) | 1;
        bool taken = OfferAsync(fault ? ClientFaults.NoTimeWindow : ClientFaults.None, msgId).GetAwaiter().GetResult();
        return (taken == (fault || offset is > -300 and < 30)).Label($"offset {offset} s, taken {taken}");
    }

    [Property(MaxTest = 20)]
    public Property A_server_msg_id_needs_low_bits_1_or_3(bool fault)
    {
        long now = MsgId.FromTime(DateTimeOffset.UtcNow) & ~3L;
        return Enumerable.Range(0, 4).All(bits =>
            OfferAsync(fault ? ClientFaults.AcceptEvenMsgId : ClientFaults.None, now | (long)bits).GetAwaiter().GetResult() == (fault || bits % 2 == 1))
            .ToProperty();
    }

    [Theory]
    [InlineData(false, ClientFaults.None, false)]
    [InlineData(false, ClientFaults.AcceptReordered, true)]
    [InlineData(true, ClientFaults.None, true)] // HTTP: answers to parallel requests overtake each other
    public async Task A_packet_whose_msg_id_is_not_above_the_previous_one_on_the_connection_is_dropped_on_streams(
        bool requestResponse, ClientFaults faults, bool taken)
    {
        await using var server = new ScriptedServer(requestResponse);
        await using MtProtoClient client = server.NewClient(faults);
        long earlier = server.MsgIds.Next(MsgIdSender.ServerNotification);
        long later = server.MsgIds.Next(MsgIdSender.ServerNotification);
        server.Send(client.Session.SessionId, later, Update);
        server.Send(client.Session.SessionId, earlier, Update);

        Assert.Null((await client.Packets.ReadAsync()).Problem);
        ReceivedPacket second = await client.Packets.ReadAsync();
        Assert.Equal(taken, second.Problem is null);
        Assert.True(client.Updates.TryRead(out _));
        Assert.Equal(taken, client.Updates.TryRead(out _));
    }

    [Fact]
    public async Task Messages_inside_a_container_are_exempt_from_the_order_rule_and_a_new_connection_starts_over()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        long inner = server.MsgIds.Next(MsgIdSender.ServerNotification);
        long lone = server.MsgIds.Next(MsgIdSender.ServerNotification);
        server.Send(client.Session.SessionId, lone, Update);
        server.SendContainer(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), (inner, Update));
        Assert.Null((await client.Packets.ReadAsync()).Problem);
        Assert.Null((await client.Packets.ReadAsync()).Problem);

        await using ScriptedServer second = server.NewConnection();
        await client.ReconnectAsync(second);
        second.Send(client.Session.SessionId, lone - 4, Update); // below what the first connection carried: new count
        Assert.Null((await client.Packets.ReadAsync()).Problem);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public async Task A_container_holding_a_msg_id_not_below_its_own_is_dropped_whole(long above)
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        long good = server.MsgIds.Next(MsgIdSender.ServerNotification);
        long container = server.MsgIds.Next(MsgIdSender.ServerNotification);
        server.SendContainer(client.Session.SessionId, container, (good, Update), (container + above, Update));

        ReceivedPacket packet = await client.Packets.ReadAsync();
        Assert.NotNull(packet.Problem);
        Assert.Empty(packet.Messages);
        Assert.False(client.Updates.TryRead(out _));
    }

    [Theory]
    [InlineData(ClientFaults.None, 1)]
    [InlineData(ClientFaults.DeliverDuplicates, 2)]
    public async Task A_re_sent_server_message_is_acknowledged_again_but_delivered_once(ClientFaults faults, int deliveries)
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient(faults);
        long msgId = server.MsgIds.Next(MsgIdSender.ServerNotification);
        server.Send(client.Session.SessionId, msgId, Update);
        await client.Packets.ReadAsync();
        Assert.Equal([msgId], await NextAckAsync(server));
        server.SendContainer(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), (msgId, Update));
        await client.Packets.ReadAsync();
        Assert.Equal([msgId], await NextAckAsync(server));

        int delivered = 0;
        while (client.Updates.TryRead(out _))
        {
            delivered++;
        }

        Assert.Equal(deliveries, delivered);
    }

    [Theory]
    [InlineData(ClientFaults.None, 0)]
    [InlineData(ClientFaults.AcksContentRelated, 1)]
    public async Task Msgs_ack_goes_with_an_even_seq_no_and_names_only_accepted_messages(ClientFaults faults, int seqNoParity)
    {
        long refused = MsgId.FromTime(DateTimeOffset.UtcNow) & ~3L; // a client's low bits: dropped, so never acknowledged
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient(faults);
        long accepted = server.MsgIds.Next(MsgIdSender.ServerNotification);
        server.Send(client.Session.SessionId, refused, Update);
        server.Send(client.Session.SessionId, accepted, Update);

        (EnvelopeHeader header, byte[] data) = await server.ReceiveMessageAsync();
        TlObject ack = TlCodec.Testbed.Deserialize(data);
        Assert.Equal("msgs_ack", ack.Combinator.Name);
        Assert.Equal([accepted], ack.Get<long[]>("msg_ids"));
        Assert.Equal(seqNoParity, header.SeqNo & 1);
    }

    [Fact]
    public async Task Msg_resend_req_re_sends_a_waiting_request_with_its_header_and_body_in_a_fresh_container()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        client.SendAcks = false;
        Task<TlObject> ping = client.RequestAsync(new TlObject(Schema["ping"], 7L));
        (EnvelopeHeader request, byte[] body) = await server.ReceiveMessageAsync();

        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerResponse),
            new TlObject(Schema["msg_resend_req"], new[] { 12345L, request.MsgId }));
        (EnvelopeHeader outer, byte[] container) = await server.ReceiveMessageAsync();

        Assert.True(outer.MsgId > request.MsgId);
        Assert.Equal(0, outer.SeqNo & 1);
        Assert.Equal(MessageContainer.Build([(request.MsgId, request.SeqNo, body)]), container);
        Assert.False(ping.IsCompleted);
    }

    [Theory]
    [InlineData(ClientFaults.None, false)]
    [InlineData(ClientFaults.ResendSameHeader, true)]
    public async Task After_bad_server_salt_the_request_goes_again_with_the_new_salt_under_a_new_header(ClientFaults faults, bool sameHeader)
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient(faults);
        client.SendAcks = false;
        _ = client.RequestAsync(new TlObject(Schema["ping"], 7L));
        EnvelopeHeader first = await server.ReceiveAsync();

        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerResponse),
            new TlObject(Schema["bad_server_salt"], first.MsgId, first.SeqNo, 48, 99L));
        EnvelopeHeader again = await server.ReceiveAsync();

        Assert.Equal(99L, again.Salt);
        Assert.Equal(sameHeader, again.MsgId == first.MsgId);
        Assert.Equal(sameHeader, again.SeqNo == first.SeqNo);
    }

    [Fact]
    public async Task Bad_msg_notification_16_about_a_waiting_request_corrects_a_wrong_clock_though_outside_the_window()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        client.SendAcks = false;
        client.Session.MsgIds.ClockOffset = TimeSpan.FromMinutes(-10);
        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), Update);
        Assert.NotNull((await client.Packets.ReadAsync()).Problem); // the server's time is 10 min ahead of what we think
        _ = client.RequestAsync(new TlObject(Schema["ping"], 7L));
        EnvelopeHeader first = await server.ReceiveAsync();

        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerResponse),
            new TlObject(Schema["bad_msg_notification"], first.MsgId, first.SeqNo, 16));
        EnvelopeHeader again = await server.ReceiveAsync();

        Assert.True(again.MsgId > first.MsgId);
        Assert.InRange(client.Session.MsgIds.ClockOffset.Duration(), TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task After_bad_msg_notification_17_the_re_send_follows_the_corrected_clock_below_the_refused_id()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        client.SendAcks = false;
        _ = client.RequestAsync(new TlObject(Schema["ping"], 7L));
        EnvelopeHeader first = await server.ReceiveAsync();

        long behind = (MsgId.FromTime(DateTimeOffset.UtcNow.AddSeconds(-60)) & ~3L) | 1; // the server's clock 60 s behind
        server.Send(client.Session.SessionId, behind, new TlObject(Schema["bad_msg_notification"], first.MsgId, first.SeqNo, 17));
        EnvelopeHeader again = await server.ReceiveAsync();

        Assert.True(again.MsgId < first.MsgId);
        Assert.InRange(MsgId.ToTime(again.MsgId) - MsgId.ToTime(behind), TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(ClientFaults.None, false)]
    [InlineData(ClientFaults.NoMsgKeyCheck, true)]
    public async Task A_packet_whose_msg_key_does_not_match_its_plaintext_is_dropped(ClientFaults faults, bool taken) =>
        Assert.Equal(taken, await OfferAsync(faults, (server, sessionId) =>
            server.SendWithForgedMsgKey(sessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), Update)));

    [Theory]
    [InlineData(ClientFaults.None, false)]
    [InlineData(ClientFaults.AcceptReflected, true)]
    public async Task A_packet_made_with_the_client_to_server_keys_is_dropped(ClientFaults faults, bool taken) =>
        Assert.Equal(taken, await OfferAsync(faults, (server, sessionId) =>
            server.Send(sessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), Update, MessageDirection.ClientToServer)));

    [Theory]
    [InlineData(ClientFaults.None, false)]
    [InlineData(ClientFaults.UnboundedGzip, true)]
    public async Task A_gzip_packed_message_unpacking_past_16_MiB_is_dropped(ClientFaults faults, bool taken)
    {
        var big = new TlObject(Schema["chat.user"], 7L, new byte[(16 << 20) - 1], true);
        var packed = new TlObject(Schema["gzip_packed"], GzipPacked.Pack(TlCodec.Testbed.Serialize(big)));
        Assert.Equal(taken, await OfferAsync(faults, (server, sessionId) =>
            server.Send(sessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), packed)));
    }

    [Fact]
    public async Task A_gzip_packed_rpc_result_is_unpacked_for_the_caller()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        Task<TlObject> call = client.InvokeAsync(new TlObject(Schema["help.getNearestDc"]));
        EnvelopeHeader request = await server.ReceiveAsync();
        var answer = new TlObject(Schema["nearestDc"], "NL"u8.ToArray(), 2, 2);
        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerResponse), new TlObject(Schema["rpc_result"], request.MsgId,
            new TlObject(Schema["gzip_packed"], GzipPacked.Pack(TlCodec.Testbed.Serialize(answer)))));

        Assert.Equal(answer, await call.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Service_messages_and_answers_to_nothing_of_ours_are_not_delivered()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient();
        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerResponse), new TlObject(Schema["pong"], 4L, 5L));
        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerResponse), new TlObject(Schema["msgs_ack"], new[] { 4L }));
        server.Send(client.Session.SessionId, server.MsgIds.Next(MsgIdSender.ServerNotification), Update);
        for (int i = 0; i < 3; i++)
        {
            Assert.Null((await client.Packets.ReadAsync()).Problem);
        }

        Assert.True(client.Updates.TryRead(out TlObject? update));
        Assert.Equal("updateShort", update.Combinator.Name);
        Assert.False(client.Updates.TryRead(out _));
    }

    [Fact]
    public async Task A_frame_announcing_more_than_1_MiB_closes_the_connection()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var key = AuthKey.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));
        TcpPacketTransport transport = await TcpPacketTransport.ConnectAsync("127.0.0.1", port, Protocol.Transport.TransportFraming.Intermediate);
        await using MtProtoClient client = MtProtoClient.Resume(transport, key.Bytes);
        using System.Net.Sockets.TcpClient accepted = await listener.AcceptTcpClientAsync();
        System.Net.Sockets.NetworkStream stream = accepted.GetStream();
        byte[] buffer = new byte[64];
        await stream.ReadExactlyAsync(buffer.AsMemory(0, 4)); // the intermediate marker

        await stream.WriteAsync(BitConverter.GetBytes((1 << 20) + 4)); // little-endian length: one packet of 1 MiB + 4

        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await stream.ReadAsync(buffer, patience.Token)); // the client closed its end
    }

    [Fact]
    public void Fault_names_are_the_rules_page_s_and_parse_back()
    {
        Assert.Equal(["accept-any-dh-prime", "no-g-a-range-check", "no-msg-key-check", "accept-reflected", "accept-even-msg-id",
            "no-time-window", "deliver-duplicates", "accept-reordered", "acks-content-related", "resend-same-header", "unbounded-gzip",
            "drop-key-leading-zero", "unpadded-fingerprint-lookup"],
            ClientFaultNames.All);
        Assert.All(ClientFaultNames.All, name => Assert.Equal([name], ClientFaultNames.Format(ClientFaultNames.TryParse(name, out ClientFaults f) ? f : 0)));
        Assert.False(ClientFaultNames.TryParse("no-such-fault", out _));
    }

    /// <summary>Sends one update under <paramref name="msgId"/> to a new client; whether it was taken and delivered.</summary>
    private static Task<bool> OfferAsync(ClientFaults faults, long msgId) =>
        OfferAsync(faults, (server, sessionId) => server.Send(sessionId, msgId, Update));

    /// <summary>Lets <paramref name="send"/> send one packet to a new client; whether the client delivered something.</summary>
    private static async Task<bool> OfferAsync(ClientFaults faults, Action<ScriptedServer, long> send)
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = server.NewClient(faults);
        send(server, client.Session.SessionId);
        ReceivedPacket packet = await client.Packets.ReadAsync();
        bool delivered = client.Updates.TryRead(out _);
        Assert.True(packet.Problem is null || !delivered, "a dropped packet was delivered");
        return delivered;
    }

    /// <summary>The msg_ids of the next msgs_ack the client sends.</summary>
    private static async Task<long[]> NextAckAsync(ScriptedServer server)
    {
        TlObject ack = TlCodec.Testbed.Deserialize((await server.ReceiveMessageAsync()).Data);
        Assert.Equal("msgs_ack", ack.Combinator.Name);
        return ack.Get<long[]>("msg_ids");
    }
}
