using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>Client containers on the running server: processed message by message, refused whole when malformed.</summary>
public sealed class ServerContainerTests : RunningSessionTest
{

    private static byte[] Ack(params long[] ids) => TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["msgs_ack"], ids));

    [Fact]
    public async Task Every_message_in_a_container_is_processed_and_answered_together()
    {
        (byte[] wire, _, EnvelopeHeader[] inner) = Session.EncryptContainer([(ClientFlows.Ping(1), true), (Ack(12345), false), (ClientFlows.Ping(2), true)]);
        List<TlObject> answers = ClientFlows.Open(Session, await Connection.RoundTripAsync(wire));
        Assert.Equal(["new_session_created", "pong", "pong"], answers.Select(a => a.Combinator.Name));
        Assert.Equal([inner[0].MsgId, inner[2].MsgId], answers.Skip(1).Select(p => p.Get<long>("msg_id")));

        byte[] replay = await Connection.RoundTripAsync(wire);
        Assert.Equal([1L, 2L], ClientFlows.Open(Session, replay).Select(p => p.Get<long>("ping_id"))); // answered again, not re-processed
    }

    public static TheoryData<string> BadContainers() => new() { "inner id not below", "nested container", "bytes field lies" };

    [Theory]
    [MemberData(nameof(BadContainers))]
    public async Task A_malformed_container_is_refused_whole_with_64(string defect)
    {
        EnvelopeHeader a = Session.NextHeader(true), b = Session.NextHeader(true), container = Session.NextHeader(false);
        byte[] ping = ClientFlows.Ping(3);
        byte[] data = defect switch
        {
            "inner id not below" => MessageContainer.Build([(a.MsgId, a.SeqNo, ping), (container.MsgId + 4, b.SeqNo, ping)]),
            "nested container" => MessageContainer.Build([(a.MsgId, a.SeqNo, ping), (b.MsgId, b.SeqNo, MessageContainer.Build([(a.MsgId - 4, 1, ping)]))]),
            _ => LieAboutLength(MessageContainer.Build([(a.MsgId, a.SeqNo, ping)])),
        };

        byte[] wire = Session.Encrypt(container, data, PaddingPolicy.MinimalLength(data.Length));
        TlObject refusal = Assert.Single(ClientFlows.Open(Session, await Connection.RoundTripAsync(wire)));
        Assert.Equal(("bad_msg_notification", container.MsgId, 64),
            (refusal.Combinator.Name, refusal.Get<long>("bad_msg_id"), refusal.Get<int>("error_code")));
    }

    private static byte[] LieAboutLength(byte[] container)
    {
        // constructor (4) + count (4) + msg_id (8) + seqno (4), then bytes: claim 4 more than the body has.
        BitConverter.TryWriteBytes(container.AsSpan(20), BitConverter.ToInt32(container, 20) + 4);
        return container;
    }
}

/// <summary>gzip_packed from clients.</summary>
public sealed class ServerGzipTests
{
    [Fact]
    public async Task A_packed_ping_is_answered_and_a_bomb_is_refused_with_64()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        await using TestSession test = await ClientFlows.OpenSessionAsync(server);
        (ITestTransport connection, ClientSession session) = (test.Connection, test.Session);

        byte[] packed = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["gzip_packed"], GzipPacked.Pack(ClientFlows.Ping(42))));
        (byte[] wire, _) = session.Encrypt(packed, contentRelated: true); // classified by what it carries: a ping
        Assert.Equal(42, ClientFlows.Open(session, await connection.RoundTripAsync(wire)).Single(o => o.Combinator.Name == "pong").Get<long>("ping_id"));

        byte[] bomb = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["gzip_packed"], GzipPacked.Pack(new byte[8 << 20])));
        (wire, _) = session.Encrypt(bomb, contentRelated: true);
        TlObject refusal = Assert.Single(ClientFlows.Open(session, await connection.RoundTripAsync(wire)));
        Assert.Equal(64, refusal.Get<int>("error_code"));
    }
}
