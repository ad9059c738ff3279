using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Tests;

/// <summary>What a client does over a test transport: create a key, then talk in an encrypted session.</summary>
internal static class ClientFlows
{
    /// <summary>The whole handshake through unencrypted messages; answers are checked by the client.</summary>
    public static async Task<HandshakeClientDone> HandshakeAsync(ITestTransport transport, RsaPublicKey serverKey)
    {
        var client = new HandshakeClient([serverKey]);
        long msgId = 4, serverMsgId = 0;
        async Task<byte[]> Exchange(byte[] query)
        {
            byte[] answer = await transport.RoundTripAsync(UnencryptedMessage.Build(msgId += 4, query));
            Assert.True(UnencryptedMessage.TryRead(answer, out serverMsgId, out int length, allowTrailing: true),
                $"not an unencrypted message: {Convert.ToHexString(answer)}");
            Assert.Equal(1, serverMsgId & 3);
            return answer.AsSpan(UnencryptedMessage.HeaderSize, length).ToArray();
        }

        byte[] setDh = client.OnServerDhParams(await Exchange(client.OnResPq(await Exchange(client.Start()))));
        HandshakeClientDone done = Assert.IsType<HandshakeClientDone>(client.OnDhGen(await Exchange(setDh)));
        return done.WithOffsetFromServerMsgId(serverMsgId, DateTimeOffset.UtcNow);
    }

    /// <summary>
    /// Decrypts a server packet and lists the objects in it (a container's contents, in order), read with
    /// <paramref name="codec"/> (default: the MTProto schema alone).
    /// </summary>
    public static List<TlObject> Open(ClientSession session, byte[] packet, TlCodec? codec = null) =>
        OpenMessages(session, packet, codec).Select(m => m.Body).ToList();

    /// <summary><see cref="Open"/> with each message's msg_id and seq_no.</summary>
    public static List<(long MsgId, int SeqNo, TlObject Body)> OpenMessages(ClientSession session, byte[] packet, TlCodec? codec = null)
    {
        Assert.True(packet.Length > 4, $"expected a message, got {Convert.ToHexString(packet)}");
        Assert.True(session.TryDecrypt(packet, out EnvelopeHeader header, out byte[] data), "the server's message does not decrypt");
        Assert.Equal(session.SessionId, header.SessionId);
        TlObject body = (codec ?? TlCodec.MTProto).Deserialize(data);
        return body.Combinator.Name == "msg_container"
            ? body.Get<object?[]>("messages").Cast<TlObject>().Select(m => (m.Get<long>("msg_id"), m.Get<int>("seqno"), m.Get<TlObject>("body"))).ToList()
            : [(header.MsgId, header.SeqNo, body)];
    }

    public static byte[] Ping(long pingId) => TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["ping"], pingId));

    /// <summary>Connects (TCP intermediate, or HTTP), creates a key and starts a session on it.</summary>
    public static async Task<TestSession> OpenSessionAsync(RunningServer server, string transport = "tcp")
    {
        ITestTransport connection = transport == "tcp"
            ? await TcpTestTransport.ConnectAsync(server.TcpPort, Testbed.Protocol.Transport.TransportFraming.Intermediate)
            : new HttpTestTransport(server.HttpBase);
        HandshakeClientDone done = await HandshakeAsync(connection, server.PublicKey);
        var key = AuthKey.FromBytes(done.AuthKey);
        var session = new ClientSession(key, done.ServerSalt);
        session.MsgIds.ClockOffset = done.ServerTimeOffset;
        return new TestSession(connection, key, session);
    }
}

/// <summary>A transport, an auth key and a session on it; disposing closes the transport and wipes the key.</summary>
internal sealed record TestSession(ITestTransport Connection, AuthKey Key, ClientSession Session) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        Key.Dispose();
        await Connection.DisposeAsync();
    }
}
