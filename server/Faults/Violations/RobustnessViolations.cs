namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the robustness cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class RobustnessViolations
{
    /// <summary>PacketProcessor drops an unencrypted message it cannot read without answering.</summary>
    public static readonly Violation MalformedUnencryptedIgnored = new("ROB-001",
        "drops a malformed unencrypted message (40 zero bytes) without an answer instead of answering -404");

    /// <summary>
    /// EncryptedMessageProcessor drops, unanswered, every message of a session that has already processed
    /// <see cref="AnswersPerSession"/> (its replay window's count), so the last pings of a burst of 100 get no pong.
    /// The other cases send a handful of messages per session.
    /// </summary>
    public static readonly Violation SessionAnswersCapped = new("ROB-002",
        "drops, without an answer, every message of a session after its first 64: a burst of 100 pings gets fewer than 100 pongs");

    /// <summary>EncryptedMessageProcessor unpacks gzip_packed inside gzip_packed, to any depth, and processes what is inside.</summary>
    public static readonly Violation NestedGzipUnpacked = new("ROB-003",
        "unpacks gzip_packed nested 64 deep without a depth bound and answers the ping inside with pong instead of refusing it with 64 or -404");

    /// <summary>The handshake rate limit is <see cref="UnlimitedHandshakesPerMinute"/> per address whatever the setting.</summary>
    public static readonly Violation HandshakeFloodUnlimited = new("ROB-004",
        "does not limit handshake messages per address: 300 req_pq_multi in a row on one connection are all answered, none with -429");

    /// <summary>How many messages a session is answered under <see cref="SessionAnswersCapped"/>.</summary>
    internal const int AnswersPerSession = 64;

    /// <summary>The handshake rate limit under <see cref="HandshakeFloodUnlimited"/>: none that a flood reaches.</summary>
    internal const int UnlimitedHandshakesPerMinute = 1 << 24;

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } = [MalformedUnencryptedIgnored, SessionAnswersCapped, NestedGzipUnpacked, HandshakeFloodUnlimited];
}
