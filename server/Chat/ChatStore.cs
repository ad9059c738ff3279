using System.Data.Common;
using Testbed.Server.Storage;

namespace Testbed.Server.Chat;

/// <summary>A registered chat user: one per auth key.</summary>
internal sealed record ChatUser(long Id, long AuthKeyId, string Name);

/// <summary>A stored chat message.</summary>
internal sealed record ChatMessage(long Id, long FromId, long ToId, long RandomId, int Date, string Text, bool Delivered);

/// <summary>
/// Users and messages in the <see cref="Database"/>, SQLite or PostgreSQL. Every write is one committed statement or
/// transaction, so what an answer reports as stored survives a crash.
/// </summary>
internal sealed class ChatStore(Database database)
{
    private const string MessageColumns = "id, from_id, to_id, random_id, date, text, delivered";

    /// <summary>Registers the auth key's user, or renames it.</summary>
    public ChatUser Register(long authKeyId, string name, DateTimeOffset now)
    {
        using DbConnection connection = database.Open();
        using DbCommand upsert = connection.CreateCommand();
        upsert.CommandText = "INSERT INTO users (auth_key_id, name, created_at) VALUES (@key, @name, @now) "
            + "ON CONFLICT (auth_key_id) DO UPDATE SET name = excluded.name RETURNING id;";
        upsert.AddParameter("@key", authKeyId);
        upsert.AddParameter("@name", name);
        upsert.AddParameter("@now", now.ToUnixTimeSeconds());
        return new ChatUser(Convert.ToInt64(upsert.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture), authKeyId, name);
    }

    public ChatUser? FindByAuthKey(long authKeyId) => Users("WHERE auth_key_id = @p", authKeyId).FirstOrDefault();

    public ChatUser? Find(long userId) => Users("WHERE id = @p", userId).FirstOrDefault();

    /// <summary>Every user, in registration order (at most <paramref name="limit"/>).</summary>
    public List<ChatUser> AllUsers(int limit) => Users("ORDER BY id LIMIT @p", limit);

    /// <summary>
    /// Stores a message unless the sender already sent one with this random_id; either way returns the stored one
    /// and whether it is new.
    /// </summary>
    public (ChatMessage Message, bool Created) Send(long fromId, long toId, long randomId, string text, DateTimeOffset now)
    {
        using DbConnection connection = database.Open();
        using DbTransaction transaction = connection.BeginTransaction();
        using DbCommand insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO messages (from_id, to_id, random_id, date, text) VALUES (@from, @to, @random, @date, @text) ON CONFLICT DO NOTHING;";
        insert.AddParameter("@from", fromId);
        insert.AddParameter("@to", toId);
        insert.AddParameter("@random", randomId);
        insert.AddParameter("@date", now.ToUnixTimeSeconds());
        insert.AddParameter("@text", text);
        bool created = insert.ExecuteNonQuery() == 1;
        ChatMessage message = Messages(connection, transaction, "WHERE from_id = @a AND random_id = @b", fromId, randomId).Single();
        transaction.Commit();
        return (message, created);
    }

    /// <summary>Messages between two users with id below <paramref name="beforeId"/> (0: the newest), newest first.</summary>
    public List<ChatMessage> History(long userId, long peerId, long beforeId, int limit)
    {
        using DbConnection connection = database.Open();
        return Messages(connection, null,
            "WHERE ((from_id = @a AND to_id = @b) OR (from_id = @b AND to_id = @a)) AND (@c = 0 OR id < @c) ORDER BY id DESC LIMIT @d",
            userId, peerId, beforeId, limit);
    }

    /// <summary>Messages to or from a user with id above <paramref name="afterId"/>, oldest first.</summary>
    public List<ChatMessage> Since(long userId, long afterId, int limit)
    {
        using DbConnection connection = database.Open();
        return Messages(connection, null, "WHERE (to_id = @a OR from_id = @a) AND id > @b ORDER BY id LIMIT @c", userId, afterId, limit);
    }

    /// <summary>Messages to a user that no session of theirs has acknowledged yet, oldest first.</summary>
    public List<ChatMessage> Undelivered(long userId, int limit)
    {
        using DbConnection connection = database.Open();
        return Messages(connection, null, "WHERE to_id = @a AND delivered = FALSE ORDER BY id LIMIT @b", userId, limit);
    }

    /// <summary>Records that the recipient acknowledged the message.</summary>
    public void MarkDelivered(long messageId)
    {
        using DbConnection connection = database.Open();
        using DbCommand update = connection.CreateCommand();
        update.CommandText = "UPDATE messages SET delivered = TRUE WHERE id = @id;";
        update.AddParameter("@id", messageId);
        update.ExecuteNonQuery();
    }

    private List<ChatUser> Users(string where, long parameter)
    {
        using DbConnection connection = database.Open();
        using DbCommand query = connection.CreateCommand();
        query.CommandText = $"SELECT id, auth_key_id, name FROM users {where};";
        query.AddParameter("@p", parameter);
        using DbDataReader row = query.ExecuteReader();
        var users = new List<ChatUser>();
        while (row.Read())
        {
            users.Add(new ChatUser(row.GetInt64(0), row.GetInt64(1), row.GetString(2)));
        }

        return users;
    }

    private static List<ChatMessage> Messages(DbConnection connection, DbTransaction? transaction, string where, params long[] parameters)
    {
        using DbCommand query = connection.CreateCommand();
        query.Transaction = transaction;
        query.CommandText = $"SELECT {MessageColumns} FROM messages {where};";
        for (int i = 0; i < parameters.Length; i++)
        {
            query.AddParameter("@" + (char)('a' + i), parameters[i]);
        }

        using DbDataReader row = query.ExecuteReader();
        var messages = new List<ChatMessage>();
        while (row.Read())
        {
            messages.Add(new ChatMessage(row.GetInt64(0), row.GetInt64(1), row.GetInt64(2), row.GetInt64(3), row.GetInt32(4), row.GetString(5),
                row.GetBoolean(6)));
        }

        return messages;
    }
}
