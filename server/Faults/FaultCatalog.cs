namespace Testbed.Server.Faults;

/// <summary>Every fault profile the server knows (docs/protocol.md §7).</summary>
public static class FaultCatalog
{
    /// <summary>All profiles, by name.</summary>
    public static IReadOnlyList<FaultProfile> All { get; } =
    [
        new("accept-duplicates",
            "A msg_id already processed is processed again: every captured message can be replayed.",
            "MTProto description, 'msg_id' and the replay rules; Sušánka & Kokeš, Security Analysis of the Telegram IM, ROOTS 2017",
            (b, _) => b with { Admission = b.Admission with { AcceptDuplicates = true } }),
        new("no-time-window",
            "msg_ids more than 300 s old or 30 s ahead are accepted: a message held back for hours is still processed.",
            "MTProto service messages, bad_msg_notification codes 16 and 17",
            (b, _) => b with { Admission = b.Admission with { IgnoreTimeWindow = true } }),
        new("reordering-tolerated",
            "The pre-2021 rule: a late message with a lower msg_id is processed when its seq_no fits, so an attacker can reorder a conversation.",
            "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 1",
            (b, _) => b with { Admission = b.Admission with { StrictOrder = false } }),
        new("salt-ignored",
            "The server salt is not checked, so messages outlive salt rotation and captured traffic replays into later periods.",
            "MTProto description, 'server_salt'; bad_server_salt (code 48)",
            (b, _) => b with { Admission = b.Admission with { IgnoreSalt = true } }),
        new("replay-window-one",
            "Only the last msg_id is remembered and ids below it are not refused: any message older than the previous one replays.",
            "Sušánka & Kokeš, Security Analysis of the Telegram IM, ROOTS 2017 (replay after the window overflows)",
            (b, _) => b with { Admission = b.Admission with { WindowCapacity = 1, RefuseBelowWindow = false, StrictOrder = false } }),
        new("length-before-mac",
            "Length and padding are read from the decrypted plaintext before msg_key is checked, and a bad layout gets its own early answer "
            + "(transport error -400, which only this fault sends) instead of -404: an error and timing oracle on the plaintext.",
            "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 3 (timing side channel)",
            (b, _) => b with { LayoutCheckedBeforeMsgKey = true }),
        new("padding-unchecked",
            "The padding is not bounded to 12..1024 bytes and trailing blocks are ignored when a shorter prefix matches msg_key, "
            + "so blocks appended to a captured message are accepted (MTProto 1.0's unauthenticated padding, under 2.0 hashing).",
            "Jakobsen & Orlandi, On the CCA (in)security of MTProto, SPSM 2016",
            (b, _) => b with { PaddingUnchecked = true }),
        new("session-id-unchecked",
            "session_id is not used to keep sessions apart: every message of an auth key shares one replay window and one seq_no history, "
            + "no new_session_created is sent, and answers go to whichever session_id came last.",
            "MTProto description, 'session_id' and new_session_created; Albrecht et al. 2022 §IV (session handling)",
            (b, _) => b with { SessionIdUnchecked = true }),
        new("g-b-range-unchecked",
            "The handshake accepts any g_b, including 1 and dh_prime - 1, so a peer can force a predictable auth key.",
            "MTProto auth key creation, the checks on g_a and g_b (1 < g_b < dh_prime - 1, with 2^(2048-64) margins)",
            (b, _) => b with { ClientPublicValueUnchecked = true }),
        new("unsafe-dh-prime",
            "The handshake offers a 2048-bit prime p whose (p-1)/2 is composite (the testbed's dh-prime-not-safe vector): a client that "
            + "does not check that dh_prime is a safe prime accepts a group where small subgroups can leak its secret.",
            "MTProto auth key creation: the client must check that dh_prime is a safe 2048-bit prime; vectors/mtproto2_dh_params.json",
            (b, _) => b with { DhPrime = UnsafePrime }),
        new("resends-reuse-header",
            "An unacknowledged server message is re-sent with its original msg_id and seq_no, re-encrypted: two ciphertexts share a header.",
            "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 2",
            (b, _) => b with { ResendsReuseHeader = true }),
        new("per-node-replay-state",
            "The naive cluster: each node keeps its sessions' replay windows in its own memory while the nodes share one database, "
            + "so a packet captured on its way to one node is processed again by another. Needs a cluster (--Testbed:Redis); one node is unchanged.",
            "MTProto msg_id rules (a session's msg_ids are processed once) across the front-ends of one DC; this testbed's cross-node-replay lab experiment",
            (b, _) => b with { PerNodeReplayState = true }),
        new("length-timing-leak",
            "MAC-first like the clean server, with the same -404 for every failure, but a packet whose unauthenticated plaintext "
            + "(decrypted under the msg_key it carries) has an impossible length or padding costs the given extra time, spent "
            + "busy-waiting on the monotonic clock: a timing-only length oracle of known size, to measure a detector's sensitivity "
            + "(--fault length-timing-leak=NANOSECONDS).",
            "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 3 (timing side channel)",
            (b, nanoseconds) => b with { LengthTimingLeakNanoseconds = nanoseconds },
            new FaultParameter("nanoseconds", Default: 1000, Min: 1, Max: 10_000_000)),
    ];

    // vectors/mtproto2_dh_params.json, dh-prime-not-safe: prime, 2048 bits, (p-1)/2 composite.
    private static readonly System.Numerics.BigInteger UnsafePrime = System.Numerics.BigInteger.Parse(
        "0a9946f00142c55116b259a2a7d887af3b6195b5f33c957c1a18e1c74427cd87de3571c1e7fd6c10f064bbfce1a7f75ca98ea33a9ae3947f3c20c9d7f9a246fc19d14a1a718d400ac7c7ce0c892a1e3603cf2b876f7814f57b2925576162ee294adf5cc2463cb652df5e2fa94ac1aed62192e83968b129e4f6c5bda85e0b16cbf34674fcefe696516900321e5cb44527c7eedde455557fd7fc835d14a767cfb69931f219097d08d5d62393c8b57eaa89931940fa177d910880c4ffcf91407a88840a53e3d984a10ed7f691021a5867b78ef9b8910103c527ecf49a40f5e74955785c7d5913671162b2fedca2f516d895fdd1d1c836b428ad73d6ee588e03b34ab", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The profile called <paramref name="name"/> (without a value), or null.</summary>
    public static FaultProfile? Find(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>
    /// A fault as written on the command line: <c>NAME</c>, or <c>NAME=VALUE</c> for a profile that takes a size (its
    /// default when the value is left out).
    /// </summary>
    /// <exception cref="ArgumentException">The name is unknown, or the value is missing its profile, malformed or out of range: one line saying which.</exception>
    public static (FaultProfile Profile, long Value) Parse(string fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        int equals = fault.IndexOf('=', StringComparison.Ordinal);
        string name = equals < 0 ? fault : fault[..equals];
        FaultProfile profile = Find(name)
            ?? throw new ArgumentException($"unknown fault '{name}'; known: {string.Join(", ", All.Select(f => f.Name))}.");
        if (profile.Parameter is not { } parameter)
        {
            return equals < 0 ? (profile, 0) : throw new ArgumentException($"fault '{name}' takes no value, but '{fault}' gives one.");
        }

        if (equals < 0)
        {
            return (profile, parameter.Default);
        }

        string text = fault[(equals + 1)..];
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            && value >= parameter.Min && value <= parameter.Max
            ? (profile, value)
            : throw new ArgumentException($"fault '{name}' takes {parameter.Unit} from {parameter.Min} to {parameter.Max} ({name}=VALUE), not '{text}'.");
    }
}
