using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

/// <summary>
/// <see cref="MtProtoClient"/> against a scripted server: the test decides which server packets arrive and in which
/// order, so orderings that real transports produce only under load happen every time.
/// </summary>
public sealed class MtProtoClientTests
{
    [Fact]
    public async Task An_answer_overtaken_by_a_later_server_message_is_still_delivered()
    {
        // Over HTTP each request's answer comes back on its own response, and a response can overtake an earlier
        // one: the client reads a server msg_id before a lower one made earlier. The lower one is new, not a re-send.
        await using var server = new ScriptedServer(requestResponse: true);
        await using MtProtoClient client = server.NewClient();
        Task<TlObject> call = client.InvokeAsync(new TlObject(TlSchema.Testbed["chat.getSelf"]));
        EnvelopeHeader request = await server.ReceiveAsync();

        long answerMsgId = server.MsgIds.Next(MsgIdSender.ServerResponse);
        long laterMsgId = server.MsgIds.Next(MsgIdSender.ServerResponse);
        server.Send(request.SessionId, laterMsgId, new TlObject(TlSchema.MTProto["msgs_ack"], new long[] { request.MsgId }));
        server.Send(request.SessionId, answerMsgId, new TlObject(TlSchema.MTProto["rpc_result"], request.MsgId,
            new TlObject(TlSchema.Testbed["chat.user"], 7L, "alice"u8.ToArray(), true)));
        await client.Packets.ReadAsync();
        ReceivedPacket answer = await client.Packets.ReadAsync();

        Assert.False(Assert.Single(answer.Messages).Duplicate);
        // The answer was dispatched before the packet was listed, but InvokeAsync finishes on a continuation of its
        // own, which a loaded machine may not have run yet: wait for it, boundedly. Taken for a re-send, the answer
        // would never complete the call.
        Task finished = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == call, $"the call is {call.Status}: the overtaken answer was taken for a re-send");
        Assert.Equal(7L, (await call).Get<long>("id"));
    }

    [Fact]
    public async Task A_re_sent_server_message_is_marked_duplicate_and_not_delivered_twice()
    {
        await using var server = new ScriptedServer();
        await using MtProtoClient client = MtProtoClient.Resume(server, server.Key.Bytes, salt: 1);
        var update = new TlObject(TlSchema.Testbed["chat.updateUser"], new TlObject(TlSchema.Testbed["chat.user"], 7L, "alice"u8.ToArray(), true));
        long msgId = server.MsgIds.Next(MsgIdSender.ServerResponse);
        long sessionId = client.Session.SessionId;
        server.Send(sessionId, msgId, update);
        server.SendContainer(sessionId, server.MsgIds.Next(MsgIdSender.ServerResponse), (msgId, update)); // re-sent in a fresh container

        Assert.False(Assert.Single((await client.Packets.ReadAsync()).Messages).Duplicate);
        Assert.True(Assert.Single((await client.Packets.ReadAsync()).Messages).Duplicate);
        Assert.Equal(update, await client.Updates.ReadAsync());
        Assert.False(client.Updates.TryRead(out _));
    }

    [Fact]
    public void Received_ids_arrive_in_any_order_and_one_at_or_below_a_forgotten_id_counts_as_seen()
    {
        var received = new ReceivedMsgIds(capacity: 2);
        Assert.True(received.Add(20));
        Assert.True(received.Add(12)); // overtaken by 20: new all the same
        Assert.False(received.Add(20));
        Assert.True(received.Add(28)); // 20 is forgotten
        Assert.False(received.Add(20));
        Assert.False(received.Add(16)); // never seen, but it could have been before 20 was forgotten
        Assert.True(received.Add(24));
    }
}
