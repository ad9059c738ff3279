using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>Encrypted sessions on the running server: ping, salts, replays, reordering, bad input.</summary>
public sealed class ServerSessionTests : RunningServerTest
{
    public static TheoryData<string> Transports() => new() { "tcp", "http" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_new_session_is_announced_and_a_ping_answered(string transport)
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, transport);
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        (byte[] wire, EnvelopeHeader sent) = session.Encrypt(ClientFlows.Ping(77), contentRelated: true);
        List<TlObject> first = ClientFlows.Open(session, await connection.RoundTripAsync(wire));
        Assert.Equal(["new_session_created", "pong"], first.Select(o => o.Combinator.Name));
        Assert.Equal(sent.MsgId, first[0].Get<long>("first_msg_id"));
        Assert.Equal((sent.MsgId, 77L), (first[1].Get<long>("msg_id"), first[1].Get<long>("ping_id")));

        (wire, _) = session.Encrypt(ClientFlows.Ping(78), contentRelated: true);
        List<TlObject> second = ClientFlows.Open(session, await connection.RoundTripAsync(wire));
        Assert.Equal(78, Assert.Single(second).Get<long>("ping_id"));
    }

    [Fact]
    public async Task A_wrong_salt_gets_bad_server_salt_and_the_retry_with_its_salt_works()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        session.Salt ^= 1;
        (byte[] wire, EnvelopeHeader sent) = session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        TlObject badSalt = Assert.Single(ClientFlows.Open(session, await connection.RoundTripAsync(wire)));
        Assert.Equal(("bad_server_salt", sent.MsgId, 48), (badSalt.Combinator.Name, badSalt.Get<long>("bad_msg_id"), badSalt.Get<int>("error_code")));

        session.Salt = badSalt.Get<long>("new_server_salt");
        (wire, _) = session.Encrypt(ClientFlows.Ping(2), contentRelated: true);
        Assert.Contains(ClientFlows.Open(session, await connection.RoundTripAsync(wire)), o => o.Combinator.Name == "pong");
    }

    [Fact]
    public async Task A_replayed_ping_is_answered_again_with_a_new_header_and_not_processed_twice()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(5), contentRelated: true);
        byte[] first = await connection.RoundTripAsync(wire);
        byte[] replay = await connection.RoundTripAsync(wire);
        Assert.NotEqual(first.AsSpan(8, 16).ToArray(), replay.AsSpan(8, 16).ToArray()); // a new msg_key: a new message
        Assert.True(session.TryDecrypt(first, out EnvelopeHeader firstHeader, out _));
        Assert.True(session.TryDecrypt(replay, out EnvelopeHeader replayHeader, out _));
        Assert.True(replayHeader.MsgId > firstHeader.MsgId);
        Assert.Equal(5, Assert.Single(ClientFlows.Open(session, replay)).Get<long>("ping_id"));

        string events = await SecurityEvents.ReadWhenAsync(Server.DataDirectory, e => e.Contains("\"replay_refused\"", StringComparison.Ordinal));
        Assert.Contains("\"replay_refused\"", events, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_held_back_message_released_late_is_refused_with_16()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        (byte[] earlier, _) = session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        (byte[] held, EnvelopeHeader heldHeader) = session.Encrypt(ClientFlows.Ping(2), contentRelated: true);
        (byte[] later, _) = session.Encrypt(ClientFlows.Ping(3), contentRelated: true);
        await connection.RoundTripAsync(earlier);
        await connection.RoundTripAsync(later);
        TlObject refusal = Assert.Single(ClientFlows.Open(session, await connection.RoundTripAsync(held)));
        Assert.Equal(("bad_msg_notification", heldHeader.MsgId, 16),
            (refusal.Combinator.Name, refusal.Get<long>("bad_msg_id"), refusal.Get<int>("error_code")));
    }

    [Theory]
    // Clear of the -300 s / +30 s bounds: the server reads its clock later than the test, which brings a future id
    // closer to the window under load. SessionAdmissionTests checks the bounds themselves with a stopped clock.
    [InlineData(-301, 16)]
    [InlineData(60, 17)]
    public async Task Msg_ids_outside_the_time_window_are_refused(int offsetSeconds, int code)
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        EnvelopeHeader header = session.NextHeader(contentRelated: true) with
        {
            MsgId = MsgId.FromTime(DateTimeOffset.UtcNow.AddSeconds(offsetSeconds)) & ~3L,
        };
        byte[] ping = ClientFlows.Ping(9);
        byte[] wire = session.Encrypt(header, ping, PaddingPolicy.MinimalLength(ping.Length));
        TlObject refusal = Assert.Single(ClientFlows.Open(session, await connection.RoundTripAsync(wire)));
        Assert.Equal(code, refusal.Get<int>("error_code"));
    }

    [Fact]
    public async Task A_tampered_message_gets_minus_404_like_any_other_decryption_failure()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        (byte[] wire, _) = session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        wire[^1] ^= 1;
        byte[] answer = await connection.RoundTripAsync(wire);
        Assert.Equal(-404, BinaryPrimitives.ReadInt32LittleEndian(answer));
    }

    [Fact]
    public async Task Future_salts_start_with_the_current_salt()
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "http");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        byte[] query = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["get_future_salts"], 3));
        (byte[] wire, _) = session.Encrypt(query, contentRelated: true);
        List<TlObject> answer = ClientFlows.Open(session, await connection.RoundTripAsync(wire));
        TlObject created = answer.Single(o => o.Combinator.Name == "new_session_created");
        object?[] salts = answer.Single(o => o.Combinator.Name == "future_salts").Get<object?[]>("salts");
        Assert.Equal(3, salts.Length);
        Assert.Equal(created.Get<long>("server_salt"), ((TlObject)salts[0]!).Get<long>("salt"));
    }

    public static TheoryData<string, int> BadMessages() => new()
    {
        { "msg_id with a server's low bits", 18 },
        { "msg_id below every one processed", 20 },
        { "seq_no repeated", 32 },
        { "content-related with an even seq_no", 35 },
        { "msgs_ack with an odd seq_no", 34 },
    };

    /// <summary>Each remaining bad_msg_notification code, produced on purpose, with the message's id and seq_no.</summary>
    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task Each_defect_gets_its_bad_msg_notification_code(string defect, int code)
    {
        await using TestSession test = await ClientFlows.OpenSessionAsync(Server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        EnvelopeHeader early = session.NextHeader(contentRelated: true);
        (byte[] first, EnvelopeHeader firstHeader) = session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        await connection.RoundTripAsync(first);

        byte[] body = defect.StartsWith("msgs_ack", StringComparison.Ordinal)
            ? TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["msgs_ack"], new[] { 1L }))
            : ClientFlows.Ping(2);
        EnvelopeHeader next = session.NextHeader(contentRelated: true);
        EnvelopeHeader header = defect switch
        {
            "msg_id with a server's low bits" => next with { MsgId = next.MsgId | 1 },
            "msg_id below every one processed" => early,
            "seq_no repeated" => next with { SeqNo = firstHeader.SeqNo },
            "content-related with an even seq_no" => next with { SeqNo = next.SeqNo + 1 },
            _ => next,
        };
        TlObject refusal = Assert.Single(ClientFlows.Open(session, await connection.RoundTripAsync(
            session.Encrypt(header, body, PaddingPolicy.MinimalLength(body.Length)))));
        Assert.Equal(("bad_msg_notification", header.MsgId, header.SeqNo, code),
            (refusal.Combinator.Name, refusal.Get<long>("bad_msg_id"), refusal.Get<int>("bad_msg_seqno"), refusal.Get<int>("error_code")));
    }

    [Fact]
    public async Task A_late_message_with_a_seq_no_above_its_successor_gets_33_when_reordering_is_tolerated()
    {
        await using RunningServer server = await RunningServer.StartAsync("--fault", "reordering-tolerated");
        await using TestSession test = await ClientFlows.OpenSessionAsync(server, "tcp");
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);
        (byte[] earlier, _) = session.Encrypt(ClientFlows.Ping(1), contentRelated: true);
        EnvelopeHeader held = session.NextHeader(contentRelated: true);
        (byte[] later, EnvelopeHeader laterHeader) = session.Encrypt(ClientFlows.Ping(3), contentRelated: true);
        await connection.RoundTripAsync(earlier);
        await connection.RoundTripAsync(later);

        byte[] ping = ClientFlows.Ping(2);
        EnvelopeHeader tooHigh = held with { SeqNo = laterHeader.SeqNo + 2 };
        TlObject refusal = Assert.Single(ClientFlows.Open(session, await connection.RoundTripAsync(
            session.Encrypt(tooHigh, ping, PaddingPolicy.MinimalLength(ping.Length)))));
        Assert.Equal(33, refusal.Get<int>("error_code"));
    }
}
