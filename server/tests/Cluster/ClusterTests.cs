using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests.Cluster;

/// <summary>
/// The cluster as a client meets it (docs/cluster.md): chat across nodes, a node killed with kill -9 under chat load,
/// and Redis killed and restarted empty. The tests run in order on one cluster; each leaves it whole again.
/// </summary>
[Collection(SharedCluster.Name)]
public sealed class ClusterTests(ClusterFixture fixture)
{
    private const int Senders = 4;
    private const int MessagesEach = 25;

    private int _moves;

    private RunningCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_message_sent_through_one_node_is_pushed_to_its_recipient_on_another()
    {
        await using MtProtoClient alice = await ConnectAsync(Cluster.NodeTcp(1));
        await using MtProtoClient bob = await ConnectAsync(Cluster.NodeTcp(2));
        await Clients.RegisterAsync(alice, "alice");
        long bobId = await Clients.RegisterAsync(bob, "bob");

        TlObject sent = await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 17L, Clients.Text("across nodes")));
        TlObject pushed = (await Clients.NextUpdateAsync(bob, "chat.updateNewMessage")).Get<TlObject>("message");
        Assert.Equal(sent, pushed);
    }

    /// <summary>
    /// An HTTP client whose every request reaches another node, as through a balancer that keeps no connection: the
    /// handshake's three steps run on three nodes (they share pending handshakes in Redis), and the session then
    /// registers and chats with its requests spread over all three.
    /// </summary>
    [Fact]
    public async Task An_http_client_whose_every_request_reaches_another_node_makes_its_key_and_chats()
    {
        var transport = new NodeByNodeHttpTransport([.. new[] { 1, 2, 3 }.Select(k => new Uri($"http://127.0.0.1:{Cluster.NodeHttp(k)}/api"))]);
        await using MtProtoClient carol = await MtProtoClient.ConnectAsync(transport, Cluster.PublicKey);
        await using MtProtoClient dave = await ConnectAsync(Cluster.NodeTcp(1));
        await Clients.RegisterAsync(carol, "carol");
        long daveId = await Clients.RegisterAsync(dave, "dave");
        for (long i = 0; i < 3; i++)
        {
            TlObject sent = await carol.InvokeAsync(Clients.Call("chat.sendMessage", daveId, 50 + i, Clients.Text($"hop {i}")));
            Assert.Equal(sent, (await Clients.NextUpdateAsync(dave, "chat.updateNewMessage")).Get<TlObject>("message"));
        }

        Assert.All(transport.Requests, count => Assert.True(count >= 2, $"requests per node: {string.Join(", ", transport.Requests)}"));
    }

    /// <summary>
    /// A session that moves to another node goes on there (docs/cluster.md, "Sessions across nodes"). The client's
    /// request is answered on node 1, and the client, without acknowledging the answer, moves to node 2 and repeats
    /// the request there: node 2 processes nothing again, re-sends the first answer under its own msg_id, sends no
    /// new new_session_created, and its seq_no goes on past node 1's.
    /// </summary>
    [Fact]
    public async Task A_session_that_moves_to_another_node_keeps_its_answers_and_its_seq_no()
    {
        await using KeyedConnection onFirst = await KeyOnNodeAsync(1);
        (TcpPacketTransport first, ClientSession session) = (onFirst.Transport, onFirst.Session);
        (byte[] register, EnvelopeHeader request) = session.Encrypt(TlCodec.Testbed.Serialize(Clients.Call("chat.register", Clients.Text("erin"))),
            contentRelated: true);
        await first.SendAsync(register);
        var answers = await ReceiveUntilAsync(first, session, received => received.Any(m => m.Body.Combinator.Name == "rpc_result"));
        (long answerId, _, TlObject answer) = answers.Single(m => m.Body.Combinator.Name == "rpc_result");

        await using TcpPacketTransport second = await TcpPacketTransport.ConnectAsync("127.0.0.1", Cluster.NodeTcp(2), TransportFraming.Intermediate);
        await second.SendAsync(register);
        var onSecond = await ReceiveUntilAsync(second, session, received => received.Any(m => m.Body.Combinator.Name == "rpc_result"));
        (long resentId, _, TlObject resent) = onSecond.Single(m => m.Body.Combinator.Name == "rpc_result");
        Assert.Equal((answerId, request.MsgId), (resentId, resent.Get<long>("req_msg_id")));
        Assert.Equal(TlCodec.Testbed.Serialize(answer), TlCodec.Testbed.Serialize(resent));
        Assert.All(onSecond.Where(m => m.Body.Combinator.Name == "new_session_created"),
            m => Assert.Contains(m.MsgId, answers.Select(f => f.MsgId)));

        (byte[] ping, _) = session.Encrypt(ClientFlows.Ping(61), contentRelated: true);
        await second.SendAsync(ping);
        var pong = (await ReceiveUntilAsync(second, session, received => received.Any(m => m.Body.Combinator.Name == "pong"))).Single(m => m.Body.Combinator.Name == "pong");
        Assert.True(pong.SeqNo > answers.Max(m => m.SeqNo), $"node 2's pong has seq_no {pong.SeqNo}; node 1 had reached {answers.Max(m => m.SeqNo)}");
    }

    /// <summary>
    /// Counters that no claim carries reach the journal on their own (SessionJournal.CarryWithin): the last thing node 1
    /// sent the session is a pong, which is not kept, so only the session's counters changed; the client goes quiet,
    /// then pings node 2, whose pong must come after node 1's in seq_no and msg_id.
    /// </summary>
    [Fact]
    public async Task Counters_of_a_session_gone_quiet_reach_the_node_it_moves_to()
    {
        await using KeyedConnection onFirst = await KeyOnNodeAsync(1);
        (TcpPacketTransport first, ClientSession session) = (onFirst.Transport, onFirst.Session);
        var pongs = new List<(long MsgId, int SeqNo, TlObject Body)>();
        for (int i = 0; i < 3; i++)
        {
            (byte[] ping, _) = session.Encrypt(ClientFlows.Ping(70 + i), contentRelated: true);
            await first.SendAsync(ping);
            pongs.AddRange(await ReceiveUntilAsync(first, session, received => received.Any(m => m.Body.Combinator.Name == "pong")));
        }

        await Task.Delay(200); // a quiet session: no claim comes to carry the last pong's counters

        await using TcpPacketTransport second = await TcpPacketTransport.ConnectAsync("127.0.0.1", Cluster.NodeTcp(2), TransportFraming.Intermediate);
        (byte[] last, _) = session.Encrypt(ClientFlows.Ping(73), contentRelated: true);
        await second.SendAsync(last);
        var pong = (await ReceiveUntilAsync(second, session, received => received.Any(m => m.Body.Combinator.Name == "pong"))).Single(m => m.Body.Combinator.Name == "pong");
        Assert.True(pong.SeqNo > pongs.Max(m => m.SeqNo), $"node 2's pong has seq_no {pong.SeqNo}; node 1 had reached {pongs.Max(m => m.SeqNo)}");
        Assert.True(pong.MsgId > pongs.Max(m => m.MsgId), "node 2's pong has a msg_id below one node 1 sent");
    }

    /// <summary>
    /// An update queued for a recipient on a node that then dies reaches the recipient on the node it moves to: the
    /// dead node's outbox is gone, and the node that takes the recipient's new session over queues what is unacknowledged.
    /// </summary>
    [Fact]
    public async Task An_update_held_by_a_killed_node_reaches_its_recipient_on_another_node()
    {
        await using MtProtoClient alice = await ConnectAsync(Cluster.NodeTcp(1));
        await Clients.RegisterAsync(alice, "alice");
        byte[] bobKey;
        long bobId;
        await using (MtProtoClient bob = await ConnectAsync(Cluster.NodeTcp(3)))
        {
            bobId = await Clients.RegisterAsync(bob, "bob");
            bobKey = bob.AuthKey.Bytes.ToArray();
        }

        // Bob's session on node 3 has no connection now: the update waits in node 3's outbox, and dies with it.
        TlObject sent = await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 31L, Clients.Text("while you were away")));
        await Cluster.KillNodeAsync(3);
        try
        {
            await using MtProtoClient bobAgain = MtProtoClient.Resume(
                await TcpPacketTransport.ConnectAsync("127.0.0.1", Cluster.NodeTcp(2), TransportFraming.Intermediate), bobKey);
            await bobAgain.RequestAsync(new TlObject(TlSchema.MTProto["ping"], 1L)).WaitAsync(Clients.Patience);
            TlObject pushed = (await Clients.NextUpdateAsync(bobAgain, "chat.updateNewMessage")).Get<TlObject>("message");
            Assert.Equal(sent.Get<long>("id"), pushed.Get<long>("id"));
        }
        finally
        {
            await Cluster.StartNodeAsync(3);
        }
    }

    /// <summary>
    /// Senders chat through HAProxy's front while node 2 is killed with kill -9. A sender whose connection died moves
    /// its session to a new connection through the front (another node) and sends again under the same random_id. In
    /// the end every message a sender got an answer for is stored once, and none twice.
    /// </summary>
    [Fact]
    public async Task Kill_9_of_a_node_under_chat_load_loses_no_acknowledged_message_and_duplicates_none()
    {
        MtProtoClient[] senders = await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => ConnectAsync(Cluster.FrontTcp)));
        await using MtProtoClient recipient = await ConnectAsync(Cluster.FrontTcp);
        try
        {
            long recipientId = await Clients.RegisterAsync(recipient, "recipient");
            long[] senderIds = await Task.WhenAll(senders.Select((s, i) => Clients.RegisterAsync(s, $"sender{i}")));
            // Every sender stops a third of the way, node 2 dies, and all go on: round robin put at least one of the four
            // on node 2, and that one finds its connection dead mid-conversation.
            int atOneThird = 0;
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var acknowledged = new HashSet<long>[Senders];
            await Task.WhenAll(senders.Select(async (sender, i) =>
            {
                acknowledged[i] = [];
                for (long randomId = 1; randomId <= MessagesEach; randomId++)
                {
                    if (randomId == MessagesEach / 3)
                    {
                        if (Interlocked.Increment(ref atOneThird) == Senders)
                        {
                            await Cluster.KillNodeAsync(2);
                            killed.SetResult();
                        }

                        await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
                    }

                    TlObject stored = await SendSurvivingAsync(sender, recipientId, randomId);
                    acknowledged[i].Add(stored.Get<long>("random_id"));
                }
            }));
            Assert.True(_moves > 0, "no sender lost its connection: the killed node served none of them, and the test showed nothing");

            for (int i = 0; i < Senders; i++)
            {
                TlObject history = await recipient.InvokeAsync(Clients.Call("chat.getHistory", senderIds[i], 0L, 100));
                long[] stored = [.. history.Get<object?[]>("messages").Cast<TlObject>().Select(m => m.Get<long>("random_id"))];
                Assert.True(stored.Length == stored.Distinct().Count(), $"sender {i}: a message stored twice: {string.Join(",", stored.Order())}");
                Assert.Equal(acknowledged[i].Order(), stored.Order());
            }
        }
        finally
        {
            foreach (MtProtoClient sender in senders)
            {
                await sender.DisposeAsync();
            }

            await Cluster.StartNodeAsync(2);
        }
    }

    /// <summary>
    /// Redis is killed with kill -9 and started again empty. While it is down a node refuses every message (20: nothing
    /// can be proved fresh); after, a packet processed before the loss is refused on any node (its msg_id is older than
    /// the new epoch, and so is its key), and a new message is processed again.
    /// </summary>
    [Fact]
    public async Task Losing_Redis_refuses_what_cannot_be_proved_fresh_and_then_recovers()
    {
        await using MtProtoClient client = await ConnectAsync(Cluster.NodeTcp(1));
        (byte[] captured, _) = client.Session.Encrypt(TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["ping"], 41L)), contentRelated: true);
        await client.SendRawAsync(captured);
        await client.WaitForPacketAsync(p => Pong(p, 41)).WaitAsync(Clients.Patience);

        await Cluster.KillRedisAsync();
        try
        {
            await Assert.ThrowsAsync<BadMessageException>(() => client.RequestAsync(new TlObject(TlSchema.MTProto["ping"], 42L)).WaitAsync(Clients.Patience));
            await client.WaitForPacketAsync(p => p.Messages.Any(m => m.Body.Combinator.Name == "bad_msg_notification" && m.Body.Get<int>("error_code") == 20))
                .WaitAsync(Clients.Patience);
        }
        finally
        {
            await Cluster.StartRedisAsync();
        }

        // A node refuses a handshake it cannot keep in Redis (-404) until it has reached Redis again, within about a
        // second of its restart (the ledger's connections wait a second after a failed connect); a client starts the
        // handshake again, as after any -404.
        await using MtProtoClient replayer = await RetryHandshakeAsync(() => ConnectAsync(Cluster.NodeTcp(2)));
        await using TcpPacketTransport attacker = await TcpPacketTransport.ConnectAsync("127.0.0.1", Cluster.NodeTcp(2), TransportFraming.Intermediate);
        await attacker.SendAsync(captured);
        byte[] answer = await attacker.ReceiveAsync().WaitAsync(Clients.Patience) ?? throw new IOException("node 2 closed the connection");
        Assert.True(client.Session.TryDecrypt(answer, out _, out byte[] data), "node 2's answer does not decrypt under the client's key");
        TlObject body = TlCodec.Testbed.Deserialize(data);
        Assert.True(body.Combinator.Name == "bad_msg_notification" && body.Get<int>("error_code") == 20, $"the replay after the loss got {body}");

        // Recovered: a new ping is answered. The node's connections to Redis come back within seconds (the ledger's
        // pool retries a second after a failed connect); the client's own resends cover that gap.
        TlObject pong = await RetryAsync(() => client.RequestAsync(new TlObject(TlSchema.MTProto["ping"], 43L)));
        Assert.Equal("pong", pong.Combinator.Name);
    }

    private async Task<MtProtoClient> ConnectAsync(int port) =>
        await MtProtoClient.ConnectAsync(await TcpPacketTransport.ConnectAsync("127.0.0.1", port, TransportFraming.Intermediate), Cluster.PublicKey);

    /// <summary>Sends, and after a lost connection moves the session to a new one through the front and sends the same message again.</summary>
    private async Task<TlObject> SendSurvivingAsync(MtProtoClient sender, long to, long randomId)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await sender.InvokeAsync(Clients.Call("chat.sendMessage", to, randomId, Clients.Text($"message {randomId}")))
                    .WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is IOException or TimeoutException && attempt < 10)
            {
                await Task.Delay(200);
                Interlocked.Increment(ref _moves);
                await sender.ReconnectAsync(await TcpPacketTransport.ConnectAsync("127.0.0.1", Cluster.FrontTcp, TransportFraming.Intermediate));
            }
        }
    }

    /// <summary>A TCP connection to one node, a key made on it, and a client session under that key.</summary>
    private sealed record KeyedConnection(TcpPacketTransport Transport, AuthKey Key, ClientSession Session) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Key.Dispose();
            await Transport.DisposeAsync();
        }
    }

    private async Task<KeyedConnection> KeyOnNodeAsync(int node)
    {
        TcpPacketTransport transport = await TcpPacketTransport.ConnectAsync("127.0.0.1", Cluster.NodeTcp(node), TransportFraming.Intermediate);
        try
        {
            HandshakeClientDone done = await TransportHandshake.RunAsync(transport, Cluster.PublicKey, null, null, CancellationToken.None);
            var key = AuthKey.FromBytes(done.AuthKey);
            return new KeyedConnection(transport, key, new ClientSession(key, done.ServerSalt));
        }
        catch
        {
            await transport.DisposeAsync();
            throw;
        }
    }

    private static async Task<MtProtoClient> RetryHandshakeAsync(Func<Task<MtProtoClient>> connect)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await connect();
            }
            catch (TransportErrorException e) when (e.Code == -404 && attempt < 10)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<TlObject> RetryAsync(Func<Task<TlObject>> call)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call().WaitAsync(Clients.Patience);
            }
            catch (BadMessageException) when (attempt < 10)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<List<(long MsgId, int SeqNo, TlObject Body)>> ReceiveUntilAsync(TcpPacketTransport transport, ClientSession session,
        Func<List<(long MsgId, int SeqNo, TlObject Body)>, bool> enough)
    {
        var received = new List<(long MsgId, int SeqNo, TlObject Body)>();
        using var patience = new CancellationTokenSource(Clients.Patience);
        while (!enough(received))
        {
            byte[] packet = await transport.ReceiveAsync(patience.Token) ?? throw new IOException("the node closed the connection");
            received.AddRange(ClientFlows.OpenMessages(session, packet, TlCodec.Testbed));
        }

        return received;
    }

    private static bool Pong(ReceivedPacket packet, long pingId) =>
        packet.Messages.Any(m => m.Body.Combinator.Name == "pong" && m.Body.Get<long>("ping_id") == pingId);
}
