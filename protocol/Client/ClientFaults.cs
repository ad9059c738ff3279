namespace Testbed.Protocol.Client;

/// <summary>
/// Deliberate defects of <see cref="MtProtoClient"/> and <see cref="Handshake.HandshakeClient"/>, for the client
/// conformance suite (<c>client run</c>, docs/client-conformance.md): each switch removes exactly one rule a careful
/// client follows, so a case of the hostile server must catch it. All off by default. The wire names (kebab case,
/// <see cref="ClientFaultNames"/>) are those the shims take with <c>--fault</c>.
/// </summary>
[Flags]
public enum ClientFaults
{
    /// <summary>Every rule followed.</summary>
    None = 0,

    /// <summary>
    /// accept-any-dh-prime: dh_prime is not checked (2048 bits, prime, (p-1)/2 prime; docs/protocol.md §5.4).
    /// Caught by the CHS- cases that send a small, composite or unsafe prime.
    /// </summary>
    AcceptAnyDhPrime = 1 << 0,

    /// <summary>
    /// no-g-a-range-check: g_a is not checked against 1 &lt; g_a &lt; p-1 and the 2^(2048-64) margins (§5.4).
    /// Caught by the CHS- cases that send g_a = 1, p-1 or a value near a bound.
    /// </summary>
    NoGARangeCheck = 1 << 1,

    /// <summary>
    /// no-msg-key-check: a server packet is decrypted with the keys its msg_key gives and used without checking that
    /// msg_key matches the plaintext (§2.2). Caught by the CEN- cases that flip a ciphertext or msg_key bit.
    /// </summary>
    NoMsgKeyCheck = 1 << 2,

    /// <summary>
    /// accept-reflected: a packet that fails with the server-to-client keys (x = 8) is tried with x = 0 and accepted,
    /// so the client's own packets reflected back are taken (§2.2). Caught by the CEN- reflection case.
    /// </summary>
    AcceptReflected = 1 << 3,

    /// <summary>
    /// accept-even-msg-id: a server msg_id whose low bits are not 1 or 3 (mod 4) is accepted (§3.1). Caught by CMI-.
    /// </summary>
    AcceptEvenMsgId = 1 << 4,

    /// <summary>
    /// no-time-window: a server msg_id more than 300 s before or 30 s after the server's time as the client knows it
    /// is accepted (§3.2). Caught by CMI-.
    /// </summary>
    NoTimeWindow = 1 << 5,

    /// <summary>
    /// deliver-duplicates: a server message whose msg_id was received already is delivered again (§3.9). Caught by
    /// CMI- and CRS-.
    /// </summary>
    DeliverDuplicates = 1 << 6,

    /// <summary>
    /// accept-reordered: on a stream connection a packet whose outer msg_id is not above the previous accepted one is
    /// taken (the 2022 reordering attack; §3.9). Caught by CMI-.
    /// </summary>
    AcceptReordered = 1 << 7,

    /// <summary>acks-content-related: msgs_ack goes with an odd seq_no, as content-related (§3.3). Caught by CSQ-.</summary>
    AcksContentRelated = 1 << 8,

    /// <summary>
    /// resend-same-header: a message re-sent after bad_server_salt or bad_msg_notification 16, 17, 20, 32, 33 keeps
    /// its msg_id and seq_no, so one header is encrypted twice (§3.9). Caught by CSV- and CRS-.
    /// </summary>
    ResendSameHeader = 1 << 9,

    /// <summary>unbounded-gzip: gzip_packed is unpacked without the 16 MiB cap (§4). Caught by CSV-.</summary>
    UnboundedGzip = 1 << 10,

    /// <summary>
    /// drop-key-leading-zero: the key is g_ab's shortest big-endian bytes, not all 256 (§5.4), as gramjs, mtcute and
    /// @mtproto/core make it, so a key that begins with a zero byte hashes to another new_nonce_hash and the handshake
    /// fails. Such a key comes once in 256 handshakes; the faulty client picks its b so that it comes every time. No
    /// case can force it on a client that picks its own b: the suite names it and runs the case again
    /// (docs/client-conformance.md, "A key that begins with zero").
    /// </summary>
    DropKeyLeadingZero = 1 << 11,

    /// <summary>
    /// unpadded-fingerprint-lookup: resPQ's fingerprints are matched to the pinned keys as hex without leading zeros
    /// against 16 digits (§5.2), as mtcute 0.30.3 and @mtproto/core 6.3.0 do, so a key whose fingerprint begins with
    /// a zero hex digit is never found. Caught by CHS-021.
    /// </summary>
    UnpaddedFingerprintLookup = 1 << 12,
}

/// <summary>
/// The wire names of <see cref="ClientFaults"/> (i15 rules): each member's name in kebab case
/// (<see cref="ClientFaults.AcceptAnyDhPrime"/> is <c>accept-any-dh-prime</c>). Kept beside the enum so that a new
/// fault is named where it is defined.
/// </summary>
public static class ClientFaultNames
{
    /// <summary>Every fault's name, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } =
        [.. Enum.GetValues<ClientFaults>().Where(f => f != ClientFaults.None).Select(NameOf)];

    /// <summary>The name of one fault.</summary>
    public static string NameOf(ClientFaults fault) =>
        string.Concat(fault.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : $"{char.ToLowerInvariant(c)}"));

    /// <summary>The fault called <paramref name="name"/>; false for a name that is none of <see cref="All"/>.</summary>
    public static bool TryParse(string name, out ClientFaults fault)
    {
        fault = Enum.GetValues<ClientFaults>().FirstOrDefault(f => f != ClientFaults.None && NameOf(f) == name);
        return fault != ClientFaults.None;
    }

    /// <summary>The names of the faults set in <paramref name="faults"/>, in declaration order.</summary>
    public static IReadOnlyList<string> Format(ClientFaults faults) =>
        [.. Enum.GetValues<ClientFaults>().Where(f => f != ClientFaults.None && faults.HasFlag(f)).Select(NameOf)];
}
