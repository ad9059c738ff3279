using Testbed.Protocol.Sessions;

namespace Testbed.Server.Faults;

/// <summary>
/// Everything a fault profile can weaken. <see cref="Hardened"/> is the reference server; each other value reproduces
/// one published weakness (docs/protocol.md §7).
/// </summary>
public sealed record ServerBehaviour
{
    /// <summary>The hardened server.</summary>
    public static ServerBehaviour Hardened { get; } = new();

    /// <summary>The session checks (replay window, time window, order, salt).</summary>
    public AdmissionPolicy Admission { get; init; } = AdmissionPolicy.Hardened;

    /// <summary>Decrypt and check length and padding before msg_key, answering a bad layout with its own early error.</summary>
    public bool LayoutCheckedBeforeMsgKey { get; init; }

    /// <summary>
    /// per-node-replay-state: a cluster node keeps its sessions' replay windows in its own memory even when the
    /// cluster's Redis is configured (the naive cluster; docs/cluster.md). On a single node it changes nothing.
    /// </summary>
    public bool PerNodeReplayState { get; init; }

    /// <summary>
    /// length-timing-leak: the extra time, in nanoseconds, spent on a packet whose unauthenticated plaintext has an
    /// impossible layout, before the ordinary MAC-first path refuses it as it refuses every other (0: none).
    /// </summary>
    public long LengthTimingLeakNanoseconds { get; init; }

    /// <summary>Do not bound the padding: any trailing blocks are taken as padding if a prefix matches msg_key.</summary>
    public bool PaddingUnchecked { get; init; }

    /// <summary>Keep one session per auth key whatever session_id a message carries.</summary>
    public bool SessionIdUnchecked { get; init; }

    /// <summary>Accept any g_b in the handshake.</summary>
    public bool ClientPublicValueUnchecked { get; init; }

    /// <summary>The dh_prime the handshake offers, when not the published one (a prime that is not safe, for clients to refuse).</summary>
    public System.Numerics.BigInteger? DhPrime { get; init; }

    /// <summary>Re-send an unacknowledged message under its original msg_id and seq_no.</summary>
    public bool ResendsReuseHeader { get; init; }

    /// <summary>
    /// The test-only violations in force (<see cref="Violations.ViolationCatalog"/>): empty on every server started
    /// from a command line; only <see cref="ServerApp"/>'s internal overload, which the test assemblies call, sets it.
    /// </summary>
    internal IReadOnlySet<Violations.Violation> Violations { get; init; } = new HashSet<Violations.Violation>();

    /// <summary>Whether the server is to break this requirement.</summary>
    internal bool Violates(Violations.Violation violation) => Violations.Contains(violation);
}
