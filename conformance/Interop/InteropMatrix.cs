namespace Testbed.Conformance.Interop;

/// <summary>
/// The interop matrix of issue 14 for the final state of the server (obfuscated transports and the API wrappers in
/// place): each client over every transport it has that the server speaks, the full scenario (handshake, 20 pings,
/// an RPC round to a chat method and to help.getConfig through invokeWithLayer(initConnection(...)), a reconnect with
/// the saved key, a cut connection recovered, the key still the first one), plus each third-party bug as shipped and
/// fixed. docs/interop.md explains each choice.
/// </summary>
internal static class InteropMatrix
{
    /// <summary>The full scenario of the shim contract (conformance/shims/common/driver.js, INTEROP).</summary>
    public static IReadOnlyList<string> Interop { get; } = ["handshake", "ping:20", "rpc:chat", "rpc:config", "reconnect", "cut", "key-check"];

    private static readonly string[] FutureSalts = ["handshake", "future-salts", "ping:20", "key-check"];

    /// <summary>gramjs's future_salts bugs (two, one fix: both are needed for the answer to reach the caller).</summary>
    public static ThirdPartyBug GramjsFutureSalts { get; } = new("future-salts", "telegram 2.26.22",
        "get_future_salts is never answered to the caller. Its bare vector<future_salt> is read through api.constructors, "
        + "which gramjs's Api object does not have: a TypeError in the receive loop, which gramjs answers by dropping the "
        + "connection and reconnecting. Once that is fixed, the future_salts message is matched to its request by its own "
        + "msg_id instead of its req_msg_id, so it is still dropped.",
        "node_modules/telegram/tl/api.js:188 `return api.constructors[arg.type].fromReader(reader);` (getArgFromReader; "
        + "gram-js/gramjs gramjs/tl/api.js:218), the error handled at network/MTProtoSender.js:433 `this.reconnect()`; "
        + "network/MTProtoSender.js:745 `this._pendingState.getAndDelete(message.msgId)` in _handleFutureSalts "
        + "(gramjs/network/MTProtoSender.ts:966)");

    /// <summary>mtcute's content-related acks.</summary>
    public static ThirdPartyBug MtcuteAcks { get; } = new("acks-not-content-related", "@mtcute/node 0.30.3",
        "msgs_ack goes out with an odd seq_no (content-related), which the spec forbids for acks; the server answers "
        + "bad_msg_notification 34 and mtcute resets its session each time: its pings and its second call go unanswered "
        + "(its first call and its key survive).",
        "node_modules/@mtcute/core/network/session-connection.js:1378 `this._session.writeMessage(writer, ackRequest)` "
        + "with network/mtproto-session.js:186 `writeMessage(writer, content, isContentRelated = true)` "
        + "(mtcute/mtcute packages/core/src/network/session-connection.ts:2030, mtproto-session.ts:333)");

    /// <summary>The third-party bugs, in table order.</summary>
    public static IReadOnlyList<ThirdPartyBug> Bugs { get; } = [GramjsFutureSalts, MtcuteAcks];

    /// <summary>The cells, in table order.</summary>
    public static IReadOnlyList<InteropCell> Cells { get; } =
    [
        .. new[] { "full", "abridged", "obfuscated", "ws-obfuscated", "ws-full" }.Select(transport => Clean("gramjs", "telegram", transport)),
        new("gramjs", "telegram", "full", [], FutureSalts, ["future-salts"], [], []),
        new("gramjs", "telegram", "full", [GramjsFutureSalts.Fix], FutureSalts, [], [], []),
        .. new[] { "intermediate", "padded", "obfuscated" }.Select(transport =>
            Clean("mtcute", "@mtcute/node", transport) with { Fixes = [MtcuteAcks.Fix] }),
        // As shipped, each ack is refused (34) and mtcute resets its session: its pings and its second call go unanswered.
        Clean("mtcute", "@mtcute/node", "intermediate") with
        {
            FailingSteps = ["ping:20", "rpc:config"], RequiredRefusals = ["message_refused"],
        },
        // @mtproto/core sends the pre-RSA_PAD encoding, which the server accepts only when switched on.
        Clean("mtproto-core", "@mtproto/core", "obfuscated") with { ServerSettings = ["--Testbed:AcceptLegacyRsa=true"] },
    ];

    private static InteropCell Clean(string shim, string client, string transport) => new(shim, client, transport, [], Interop, [], [], []);
}
