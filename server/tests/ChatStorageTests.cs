using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Server.Chat;
using Testbed.Server.Storage;

namespace Testbed.Server.Tests;

/// <summary>
/// Chat users and messages on each backend: the store's SQL itself, and a server (in process, then a process killed
/// with SIGKILL) that keeps them across a restart.
/// </summary>
public abstract class ChatStorageTests(TestStorage storage) : StorageTest(storage)
{
    [Fact]
    public void A_message_is_stored_once_per_random_id_and_read_back_in_order_after_a_restart()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var store = new ChatStore(Storage.Open());
        ChatUser alice = store.Register(1, "alice", now), bob = store.Register(2, "bob", now);
        Assert.Equal(alice.Id, store.Register(1, "alice2", now).Id); // renamed, the same user
        (ChatMessage first, bool created) = store.Send(alice.Id, bob.Id, 7, "hi", now);
        (ChatMessage retried, bool createdAgain) = store.Send(alice.Id, bob.Id, 7, "hi", now);
        Assert.Equal((true, false, first), (created, createdAgain, retried));
        ChatMessage second = store.Send(bob.Id, alice.Id, 7, "hello", now).Message; // the same random_id from another sender
        store.MarkDelivered(first.Id);

        var afterRestart = new ChatStore(Storage.Open());
        Assert.Equal([(alice.Id, "alice2"), (bob.Id, "bob")], afterRestart.AllUsers(10).Select(u => (u.Id, u.Name)));
        Assert.Equal(bob, afterRestart.FindByAuthKey(2));
        Assert.Equal([second, first with { Delivered = true }], afterRestart.History(alice.Id, bob.Id, 0, 10));
        Assert.Equal([first.Id], afterRestart.History(bob.Id, alice.Id, second.Id, 10).Select(m => m.Id));
        Assert.Equal([second.Id], afterRestart.Since(bob.Id, first.Id, 10).Select(m => m.Id));
        Assert.Equal(((int)now.ToUnixTimeSeconds(), "hello", false), (second.Date, second.Text, second.Delivered));
    }

    [Fact]
    public async Task Users_messages_and_delivery_state_survive_a_restart()
    {
        byte[] aliceKey, bobKey;
        long aliceId, bobId, messageId;
        await using RunningServer server = await RunningServer.StartAsync(Storage.ServerArguments);
        await using (MtProtoClient alice = await Clients.ConnectAsync(server))
        await using (MtProtoClient bob = await Clients.ConnectAsync(server))
        {
            aliceId = await Clients.RegisterAsync(alice, "alice");
            bobId = await Clients.RegisterAsync(bob, "bob");
            messageId = (await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 1L, Clients.Text("before restart")))).Get<long>("id");
            await Clients.NextUpdateAsync(bob, "chat.updateNewMessage");
            await Clients.UntilAsync(alice, Clients.Call("chat.getHistory", bobId, 0L, 1), // bob's acknowledgement marks it delivered
                history => history.Get<object?[]>("messages").Cast<TlObject>().Single().Get<bool>("delivered"));
            (aliceKey, bobKey) = (alice.AuthKey.Bytes.ToArray(), bob.AuthKey.Bytes.ToArray());
        }

        await server.RestartAsync();

        await using MtProtoClient bobAgain = MtProtoClient.Resume(await Clients.TransportAsync(server, "tcp"), bobKey);
        TlObject history = await Clients.WithinPatience(bobAgain.InvokeAsync(Clients.Call("chat.getHistory", aliceId, 0L, 10)));
        TlObject message = Assert.Single(history.Get<object?[]>("messages").Cast<TlObject>());
        Assert.Equal((messageId, "before restart", true), (message.Get<long>("id"), Clients.Text(message, "text"), message.Get<bool>("delivered")));
        await using MtProtoClient aliceAgain = MtProtoClient.Resume(await Clients.TransportAsync(server, "http"), aliceKey);
        Assert.Equal(aliceId, (await Clients.WithinPatience(aliceAgain.InvokeAsync(Clients.Call("chat.getSelf")))).Get<long>("id"));
        AssertStoredHere(aliceAgain.AuthKey.Id, aliceId, messageId);
    }

    [Fact]
    public async Task An_answered_message_survives_a_kill_9_of_the_server_process()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(Storage.ServerArguments);

        byte[] bobKey;
        long aliceId, messageId;
        await using (MtProtoClient alice = await Clients.ConnectAsync(server))
        await using (MtProtoClient bob = await Clients.ConnectAsync(server))
        {
            aliceId = await Clients.RegisterAsync(alice, "alice");
            long bobId = await Clients.RegisterAsync(bob, "bob");
            messageId = (await alice.InvokeAsync(Clients.Call("chat.sendMessage", bobId, 1L, Clients.Text("kill -9")))).Get<long>("id");
            bobKey = bob.AuthKey.Bytes.ToArray();
            await server.KillAndRestartAsync(); // right after the answer: no shutdown code runs
        }

        await using MtProtoClient bobAgain = MtProtoClient.Resume(await Clients.TcpAsync(server), bobKey);
        TlObject history = await Clients.WithinPatience(bobAgain.InvokeAsync(Clients.Call("chat.getHistory", aliceId, 0L, 10)));
        Assert.Equal(messageId, Assert.Single(history.Get<object?[]>("messages").Cast<TlObject>()).Get<long>("id"));
        AssertStoredHere(bobAgain.AuthKey.Id, aliceId, messageId);
    }

    /// <summary>That the server used this test's store, not one of its own: the key and the message are in it.</summary>
    private void AssertStoredHere(long authKeyId, long userId, long messageId)
    {
        Database database = Storage.Open();
        Assert.True(new AuthKeyStore(database).Contains(authKeyId));
        Assert.Equal(messageId, Assert.Single(new ChatStore(database).Since(userId, 0, 10)).Id);
    }
}

public sealed class SqliteChatStorageTests() : ChatStorageTests(new SqliteTestStorage());

[Collection(SharedPostgres.Name)]
public sealed class PostgresChatStorageTests(PostgresFixture postgres) : ChatStorageTests(new PostgresTestStorage(postgres));
