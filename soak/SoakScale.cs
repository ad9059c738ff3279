namespace Testbed.Soak;

/// <summary>
/// The sizes and limits of one run. <see cref="Full"/> reproduces issue 13's findings against the server as shipped
/// (its default settings); <see cref="Ci"/> is small enough for CI's two shared cores and shortens the handshake-step
/// timeout, so that a whole run takes about three minutes.
/// </summary>
internal sealed record SoakScale(
    string Name,
    int ServerDescriptorLimit,
    int HandshakeStepSeconds,
    int CloseSlackSeconds,
    bool JudgesLatency,
    int DescriptorAttackSockets,
    int PerAddressFlood,
    int IdleConnections,
    int HalfHeaders,
    int Trickles,
    int StalledFrames,
    int BadPackets,
    int HttpSlowBodies,
    int MemoryKeys,
    int SessionsPerKey)
{
    /// <summary>
    /// How long the server has after an attack to come back to its baseline, at both scales: issue 13's target. A server
    /// that recovers is judged as soon as it has, so the wait costs only a server that does not.
    /// </summary>
    public const int AfterPatienceSeconds = 60;

    /// <summary>Garbage unencrypted packets before a real handshake from the same address (both scales: issue 13 saw 60 suffice).</summary>
    public const int GarbagePackets = 1000;

    /// <summary>
    /// Issue 13 at its own sizes. The server gets 10 000 descriptors, so that the 15 000 attacking sockets, from a
    /// process that has 20 000 itself, reach its limit.
    /// </summary>
    public static readonly SoakScale Full = new("full", ServerDescriptorLimit: 10_000, HandshakeStepSeconds: 10, CloseSlackSeconds: 10,
        JudgesLatency: true, DescriptorAttackSockets: 15_000, PerAddressFlood: 5_000, IdleConnections: 2_000,
        HalfHeaders: 500, Trickles: 200, StalledFrames: 1_000, BadPackets: 100_000, HttpSlowBodies: 50, MemoryKeys: 500, SessionsPerKey: 10);

    /// <summary>
    /// About a tenth of <see cref="Full"/>, with a 1 024-descriptor server and a 4 s handshake step. Latency is reported
    /// but not judged: CI's cores are shared.
    /// </summary>
    public static readonly SoakScale Ci = new("ci", ServerDescriptorLimit: 1_024, HandshakeStepSeconds: 4, CloseSlackSeconds: 5,
        JudgesLatency: false, DescriptorAttackSockets: 1_500, PerAddressFlood: 900, IdleConnections: 300,
        HalfHeaders: 100, Trickles: 50, StalledFrames: 150, BadPackets: 10_000, HttpSlowBodies: 10, MemoryKeys: 40, SessionsPerKey: 5);

    /// <summary>How long an unauthenticated slowloris connection may stay open: the handshake step plus the slack.</summary>
    public TimeSpan CloseLimit => TimeSpan.FromSeconds(HandshakeStepSeconds + CloseSlackSeconds);

    /// <summary>
    /// The settings a fixed server reads (an older one ignores them): the shipped defaults, but for the handshake
    /// step, which <see cref="Ci"/> shortens.
    /// </summary>
    public IEnumerable<string> ServerSettings() =>
    [
        "--Testbed:MaxConnections=0",
        "--Testbed:MaxConnectionsPerAddress=256",
        $"--Testbed:HandshakeStepSeconds={HandshakeStepSeconds}",
        "--Testbed:IdleSeconds=300",
        "--Testbed:MinFrameBytesPerSecond=240",
        $"--Testbed:MaxBufferedBytes={128 << 20}",
        "--Testbed:HandshakeMessagesPerMinute=120",
    ];
}
