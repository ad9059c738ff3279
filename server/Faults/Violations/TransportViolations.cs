using Testbed.Protocol.Transport;

namespace Testbed.Server.Faults.Violations;

/// <summary>Violations of the transport cases: each a named field the server's code asks <see cref="ServerBehaviour.Violates"/> about.</summary>
public static class TransportViolations
{
    /// <summary>FramedConnection.Start: the connection is closed as soon as its marker is read.</summary>
    public static readonly Violation AbridgedRefused = new("TRN-001", "closes a connection that opens with the abridged framing's marker instead of serving it");

    /// <summary>
    /// FramedConnection.Start: the connection is closed as soon as its marker is read. Also breaks TRN-008: the
    /// harness makes the run's key, and TRN-008's session after the cut frame travels, over the run's framing, which
    /// the violation test sets to intermediate; so TRN-008's ping cannot be answered either.
    /// </summary>
    public static readonly Violation IntermediateRefused = new("TRN-002", "closes a connection that opens with the intermediate framing's marker instead of serving it")
    {
        AlsoBreaks = ["TRN-008"],
    };

    /// <summary>FramedConnection.Start: the connection is closed as soon as its marker is read.</summary>
    public static readonly Violation PaddedIntermediateRefused = new("TRN-003",
        "closes a connection that opens with the padded intermediate framing's marker instead of serving it");

    /// <summary>
    /// FramedConnection.Start: the connection is closed as soon as its framing is known. Also breaks TRN-013, whose two
    /// frames are in the full framing.
    /// </summary>
    public static readonly Violation FullRefused = new("TRN-004", "closes a connection that opens with the full framing instead of serving it")
    {
        AlsoBreaks = ["TRN-013"],
    };

    /// <summary>WebSocketTransport: the text message is skipped; binary messages are served as before.</summary>
    public static readonly Violation TextMessageIgnored = new("TRN-007", "ignores a WebSocket text message and keeps the connection open instead of closing it");

    /// <summary>
    /// TcpConnectionHandler: a stand-in for a crash of the listener. After a TCP connection closes with part of a
    /// frame buffered, every TCP connection accepted afterwards is closed at once; connections already open are served
    /// as before.
    /// </summary>
    /// <remarks>
    /// Also breaks the obfuscation cases (TRN-009 to TRN-013): they come after TRN-008 in the category, each on new TCP
    /// connections, which the stopped listener closes.
    /// </remarks>
    public static readonly Violation CutFrameStopsServing = new("TRN-008",
        "stops serving new TCP connections after a connection closes with a frame cut short")
    {
        AlsoBreaks = ["TRN-009", "TRN-01?"],
    };

    /// <summary>FramedConnection.StartFraming: the connection is closed as soon as its obfuscated init is read.</summary>
    public static readonly Violation ObfuscatedAbridgedRefused = new("TRN-009", "closes an obfuscated connection whose init names the abridged framing instead of serving it");

    /// <summary>FramedConnection.StartFraming: the connection is closed as soon as its obfuscated init is read.</summary>
    public static readonly Violation ObfuscatedIntermediateRefused = new("TRN-010",
        "closes an obfuscated connection whose init names the intermediate framing instead of serving it");

    /// <summary>FramedConnection.StartFraming: the connection is closed as soon as its obfuscated init is read.</summary>
    public static readonly Violation ObfuscatedPaddedRefused = new("TRN-011",
        "closes an obfuscated connection whose init names the padded intermediate framing instead of serving it");

    /// <summary>FramedConnection.StartObfuscated: an init whose decrypted tag is unknown is served as obfuscated intermediate.</summary>
    public static readonly Violation UnknownObfuscationTagServed = new("TRN-012",
        "serves an obfuscated init with an unknown protocol tag as intermediate instead of closing the connection");

    /// <summary>
    /// FramedConnection.Start: a start without a plain marker is read as an obfuscated init even when its second int
    /// is zero, the full framing's first sequence number. Also breaks TRN-004 and TRN-005: their full frames, shorter
    /// than an init, are left waiting for the rest of it.
    /// </summary>
    public static readonly Violation FullReadAsObfuscated = new("TRN-013",
        "reads a full-framing start (second int zero) as an obfuscated init instead of as the full framing")
    {
        AlsoBreaks = ["TRN-004", "TRN-005"],
    };

    /// <summary>All of this category's violations.</summary>
    public static IReadOnlyList<Violation> All { get; } =
        [AbridgedRefused, IntermediateRefused, PaddedIntermediateRefused, FullRefused, TextMessageIgnored, CutFrameStopsServing,
            ObfuscatedAbridgedRefused, ObfuscatedIntermediateRefused, ObfuscatedPaddedRefused, UnknownObfuscationTagServed, FullReadAsObfuscated];

    /// <summary>The violation that refuses this framing, plain or obfuscated.</summary>
    internal static Violation Refusing(TransportFraming framing, bool obfuscated) => obfuscated ? framing switch
    {
        TransportFraming.Abridged => ObfuscatedAbridgedRefused,
        TransportFraming.Intermediate => ObfuscatedIntermediateRefused,
        _ => ObfuscatedPaddedRefused,
    } : framing switch
    {
        TransportFraming.Abridged => AbridgedRefused,
        TransportFraming.Intermediate => IntermediateRefused,
        TransportFraming.PaddedIntermediate => PaddedIntermediateRefused,
        _ => FullRefused,
    };
}
