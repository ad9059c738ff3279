using System.Globalization;
using Testbed.Protocol.Tl;
using Testbed.Server.Sessions;

namespace Testbed.Server.Chat;

/// <summary>
/// The chat layer's functions (Tl/Schema/chat.tl, docs/protocol.md §9). Each call gets the caller's auth key and
/// returns its result or an rpc_error; updates for other sessions are queued in the caller's "afterwards" list so they
/// run once the caller's session lock is released (two session locks are never held together).
/// </summary>
internal sealed class ChatService(ChatStore store, SessionDelivery delivery, TimeProvider clock)
{
    /// <summary>A display name: 1 to 64 characters after trimming, no control characters.</summary>
    public const int MaxNameLength = 64;

    /// <summary>A message: 1 to 4096 characters.</summary>
    public const int MaxTextLength = 4096;

    /// <summary>The most items one call returns.</summary>
    public const int MaxPage = 100;

    private const int MaxUsersListed = 1000;

    private readonly TlSchema _schema = TlSchema.Testbed;
    private readonly TlCodec _codec = TlCodec.Testbed;

    /// <summary>Whether <paramref name="request"/> is one of the chat layer's functions.</summary>
    public static bool Handles(TlObject request) => Handles(request.Combinator);

    /// <summary>Whether <paramref name="function"/> is one of the chat layer's functions.</summary>
    public static bool Handles(TlCombinator function) => function.IsFunction && function.Name.StartsWith("chat.", StringComparison.Ordinal);

    /// <summary>Runs a chat function for the auth key's user.</summary>
    public TlObject Call(long authKeyId, long sessionId, TlObject request, List<Action> afterwards)
    {
        if (request.Combinator.Name == "chat.register")
        {
            return Register(authKeyId, request.Get<byte[]>("name"), afterwards);
        }

        if (store.FindByAuthKey(authKeyId) is not { } me)
        {
            return Error(401, "USER_NOT_REGISTERED");
        }

        return request.Combinator.Name switch
        {
            "chat.getSelf" => User(me),
            "chat.getUsers" => new TlObject(_schema["chat.users"], (object)store.AllUsers(MaxUsersListed).Select(u => (object?)User(u)).ToArray()),
            "chat.sendMessage" => SendMessage(me, sessionId, request, afterwards),
            "chat.getHistory" => Page(request.Get<int>("limit"), limit => store.History(me.Id, request.Get<long>("peer_id"),
                request.Get<long>("offset_id"), limit)),
            "chat.getDifference" => Page(request.Get<int>("limit"), limit => store.Since(me.Id, request.Get<long>("after_id"), limit)),
            _ => Error(501, "NOT_IMPLEMENTED"),
        };
    }

    private TlObject Register(long authKeyId, byte[] nameBytes, List<Action> afterwards)
    {
        string? name = ValidName(nameBytes);
        if (name is null)
        {
            return Error(400, "NAME_INVALID");
        }

        ChatUser user = store.Register(authKeyId, name, clock.GetUtcNow());
        byte[] update = _codec.Serialize(new TlObject(_schema["chat.updateUser"], User(user)));
        afterwards.Add(() =>
        {
            foreach (ChatUser other in store.AllUsers(MaxUsersListed).Where(u => u.Id != user.Id))
            {
                delivery.Push(other.AuthKeyId, update);
            }
        });
        return User(user);
    }

    private TlObject SendMessage(ChatUser me, long sessionId, TlObject request, List<Action> afterwards)
    {
        string text = StrictUtf8(request.Get<byte[]>("text")) ?? "";
        if (text.Trim().Length == 0)
        {
            return Error(400, "MESSAGE_EMPTY");
        }

        if (text.Length > MaxTextLength)
        {
            return Error(400, "MESSAGE_TOO_LONG");
        }

        if (store.Find(request.Get<long>("to_id")) is not { } peer)
        {
            return Error(400, "PEER_ID_INVALID");
        }

        (ChatMessage message, bool created) = store.Send(me.Id, peer.Id, request.Get<long>("random_id"), text, clock.GetUtcNow());
        if (!created)
        {
            // A retried send: the first message stands. A different peer or text under the same random_id is refused.
            return message.ToId == peer.Id && message.Text == text ? Message(message) : Error(400, "RANDOM_ID_DUPLICATE");
        }

        byte[] update = NewMessageUpdate(message);
        afterwards.Add(() =>
        {
            delivery.Push(peer.AuthKeyId, update, new PushReceipt(message.Id, store.MarkDelivered));
            if (peer.Id != me.Id)
            {
                delivery.Push(me.AuthKeyId, update, exceptSessionId: sessionId); // the sender's other sessions
            }
        });
        return Message(message);
    }

    /// <summary>chat.updateNewMessage for a stored message, serialized: what the recipient's sessions are pushed.</summary>
    public byte[] NewMessageUpdate(ChatMessage message) =>
        _codec.Serialize(new TlObject(_schema["chat.updateNewMessage"], Message(message)));

    private TlObject Page(int limit, Func<int, List<ChatMessage>> fetch) => limit is < 1 or > MaxPage
        ? Error(400, "LIMIT_INVALID")
        : new TlObject(_schema["chat.messages"], (object)fetch(limit).Select(m => (object?)Message(m)).ToArray());

    private TlObject User(ChatUser user) =>
        new(_schema["chat.user"], user.Id, System.Text.Encoding.UTF8.GetBytes(user.Name), delivery.IsOnline(user.AuthKeyId));

    private TlObject Message(ChatMessage m) =>
        new(_schema["chat.message"], m.Id, m.FromId, m.ToId, m.RandomId, m.Date, System.Text.Encoding.UTF8.GetBytes(m.Text), m.Delivered);

    private TlObject Error(int code, string message) =>
        new(_schema["rpc_error"], code, System.Text.Encoding.UTF8.GetBytes(message));

    private static string? ValidName(byte[] bytes)
    {
        string? name = StrictUtf8(bytes)?.Trim();
        return name is { Length: > 0 and <= MaxNameLength } && !name.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format)
            ? name
            : null;
    }

    private static string? StrictUtf8(byte[] bytes)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }
}
