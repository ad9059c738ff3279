using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;

namespace Testbed.Server.Tests;

/// <summary>The chat layer (Tl/Schema/chat.tl) end to end: library clients on every transport against the real server.</summary>
public sealed class ChatTests : RunningServerTest
{
    public static TheoryData<string, string> TransportPairs() => new()
    {
        { "tcp", "websocket" },
        { "websocket", "http" },
        { "http", "tcp-full" },
    };

    [Theory]
    [MemberData(nameof(TransportPairs))]
    public async Task A_message_is_stored_answered_and_pushed_to_the_recipient(string senderTransport, string recipientTransport)
    {
        await using MtProtoClient alice = await Clients.ConnectAsync(Server, senderTransport);
        await using MtProtoClient bob = await Clients.ConnectAsync(Server, recipientTransport);
        long aliceId = await Clients.RegisterAsync(alice, "alice");
        long bobId = await Clients.RegisterAsync(bob, "bob");

        TlObject users = await alice.InvokeAsync(Clients.Call("chat.getUsers"));
        Assert.Equal(["alice", "bob"], users.Get<object?[]>("users").Cast<TlObject>().Select(u => Clients.Text(u, "name")));

        TlObject sent = await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 42L, Clients.Text("hello, bob")));
        TlObject pushed = (await Clients.NextUpdateAsync(bob, "chat.updateNewMessage")).Get<TlObject>("message");
        Assert.Equal(sent, pushed);
        Assert.Equal((aliceId, bobId, 42L, "hello, bob"),
            (pushed.Get<long>("from_id"), pushed.Get<long>("to_id"), pushed.Get<long>("random_id"), Clients.Text(pushed, "text")));
    }

    [Fact]
    public async Task A_retried_send_with_the_same_random_id_creates_no_second_message()
    {
        await using MtProtoClient alice = await Clients.ConnectAsync(Server);
        long self = await Clients.RegisterAsync(alice, "alice");
        TlObject first = await alice.InvokeAsync(Clients.Call("chat.sendMessage", self, 7L, Clients.Text("once")));
        TlObject retry = await alice.InvokeAsync(Clients.Call("chat.sendMessage", self, 7L, Clients.Text("once")));
        Assert.Equal(first.Get<long>("id"), retry.Get<long>("id"));

        RpcException changed = await Assert.ThrowsAsync<RpcException>(() =>
            alice.InvokeAsync(Clients.Call("chat.sendMessage", self, 7L, Clients.Text("something else"))));
        Assert.Equal("RANDOM_ID_DUPLICATE", changed.ErrorMessage);
        TlObject history = await alice.InvokeAsync(Clients.Call("chat.getHistory", self, 0L, 10));
        Assert.Single(history.Get<object?[]>("messages"));
    }

    [Fact]
    public async Task History_pages_newest_first_and_difference_oldest_first()
    {
        await using MtProtoClient alice = await Clients.ConnectAsync(Server);
        await using MtProtoClient bob = await Clients.ConnectAsync(Server, "websocket");
        long aliceId = await Clients.RegisterAsync(alice, "alice");
        long bobId = await Clients.RegisterAsync(bob, "bob");
        var ids = new List<long>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, (long)i, Clients.Text($"m{i}")))).Get<long>("id"));
        }

        static long[] Ids(TlObject messages) => messages.Get<object?[]>("messages").Cast<TlObject>().Select(m => m.Get<long>("id")).ToArray();
        TlObject page1 = await bob.InvokeAsync(Clients.Call("chat.getHistory", aliceId, 0L, 2));
        Assert.Equal([ids[4], ids[3]], Ids(page1));
        TlObject page2 = await bob.InvokeAsync(Clients.Call("chat.getHistory", aliceId, ids[3], 2));
        Assert.Equal([ids[2], ids[1]], Ids(page2));
        TlObject since = await bob.InvokeAsync(Clients.Call("chat.getDifference", ids[1], 100));
        Assert.Equal(ids[2..], Ids(since));
    }

    public static TheoryData<string, object?[], int, string> Refusals() => new()
    {
        { "chat.register", [Clients.Text("")], 400, "NAME_INVALID" },
        { "chat.register", [Clients.Text(new string('x', 65))], 400, "NAME_INVALID" },
        { "chat.register", [Clients.Text("bell\u0007")], 400, "NAME_INVALID" },
        { "chat.register", [new byte[] { 0xff, 0xfe }], 400, "NAME_INVALID" },
        { "chat.sendMessage", [1L, 1L, Clients.Text("   ")], 400, "MESSAGE_EMPTY" },
        { "chat.sendMessage", [1L, 1L, Clients.Text(new string('x', 4097))], 400, "MESSAGE_TOO_LONG" },
        { "chat.sendMessage", [999L, 1L, Clients.Text("hi")], 400, "PEER_ID_INVALID" },
        { "chat.getHistory", [1L, 0L, 0], 400, "LIMIT_INVALID" },
        { "chat.getDifference", [0L, 101], 400, "LIMIT_INVALID" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Bad_input_gets_a_specific_rpc_error(string function, object?[] arguments, int code, string message)
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        await Clients.RegisterAsync(client, "someone");
        RpcException error = await Assert.ThrowsAsync<RpcException>(() => client.InvokeAsync(Clients.Call(function, arguments)));
        Assert.Equal((code, message), (error.Code, error.ErrorMessage));
    }

    [Fact]
    public async Task Nothing_works_before_registering()
    {
        await using MtProtoClient client = await Clients.ConnectAsync(Server);
        foreach (TlObject call in new[] { Clients.Call("chat.getUsers"), Clients.Call("chat.sendMessage", 1L, 1L, Clients.Text("hi")) })
        {
            RpcException error = await Assert.ThrowsAsync<RpcException>(() => client.InvokeAsync(call));
            Assert.Equal("USER_NOT_REGISTERED", error.ErrorMessage);
        }
    }

    [Fact]
    public async Task An_update_missed_while_disconnected_is_re_sent_on_the_new_connection()
    {
        await using MtProtoClient alice = await Clients.ConnectAsync(Server);
        await using MtProtoClient bob = await Clients.ConnectAsync(Server);
        await Clients.RegisterAsync(alice, "alice");
        long bobId = await Clients.RegisterAsync(bob, "bob");
        bob.SendAcks = false; // bob reads the update but never acknowledges it

        await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 5L, Clients.Text("are you there?")));
        TlObject first = await Clients.NextUpdateAsync(bob, "chat.updateNewMessage");
        while (bob.Packets.TryRead(out _))
        {
            // forget what arrived on the first connection
        }

        await bob.ReconnectAsync(await Clients.TransportAsync(Server, "websocket"));
        await bob.RequestAsync(Clients.Call("ping", 1L)); // the first message on the new connection
        using var timeout = new CancellationTokenSource(Clients.Patience);
        ReceivedPacket resent = await bob.WaitForPacketAsync(p => p.Messages.Any(m => m.Body.Combinator.Name == "chat.updateNewMessage"), timeout.Token);
        ReceivedMessage again = resent.Messages.Single(m => m.Body.Combinator.Name == "chat.updateNewMessage");
        Assert.True(again.Duplicate); // same inner msg_id: the client knows it already
        Assert.NotEqual(again.MsgId, resent.Header!.Value.MsgId); // ... inside a new container with its own header
        Assert.Equal(first, again.Body);
    }
}
