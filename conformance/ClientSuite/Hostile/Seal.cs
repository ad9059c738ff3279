using Testbed.Protocol.Envelope;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// How to seal one server message: every field defaults to what a correct server sends (docs/protocol.md §2, §3), and
/// a case changes the one it tests. Null means "as a correct server would".
/// </summary>
internal sealed record Seal
{
    /// <summary>A correct server message.</summary>
    public static Seal Correct { get; } = new();

    /// <summary>The msg_id (default: the session's next one, 1 mod 4 for an answer, 3 mod 4 when <see cref="Unprompted"/>).</summary>
    public long? MsgId { get; init; }

    /// <summary>The seq_no (default: the session's counter, odd when content-related).</summary>
    public int? SeqNo { get; init; }

    /// <summary>The salt (default: the session's).</summary>
    public long? Salt { get; init; }

    /// <summary>The session_id (default: the client's).</summary>
    public long? SessionId { get; init; }

    /// <summary>Pushed by the server unprompted (an update): msg_id 3 mod 4.</summary>
    public bool Unprompted { get; init; }

    /// <summary>Whether the message counts as content-related for seq_no (default: by its constructor).</summary>
    public bool? ContentRelated { get; init; }

    /// <summary>The key-derivation direction: x = 8 is server to client; x = 0 reflects a client's own keys.</summary>
    public MessageDirection Direction { get; init; } = MessageDirection.ServerToClient;

    /// <summary>The padding's length (default: 12..27 bytes to the next 16); may be outside 12..1024 on purpose.</summary>
    public int? Padding { get; init; }

    /// <summary>Added to message_data_length in the plaintext (a lying length field; the msg_key still covers it).</summary>
    public int LengthLie { get; init; }

    /// <summary>Flip a bit of msg_key and derive the AES key from the flipped one: only a receiver that skips the check reads it.</summary>
    public bool FlipMsgKeyBit { get; init; }

    /// <summary>Put another auth_key_id in front.</summary>
    public bool ForeignKeyId { get; init; }
}
