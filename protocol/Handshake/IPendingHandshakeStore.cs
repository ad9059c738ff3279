namespace Testbed.Protocol.Handshake;

/// <summary>
/// Where a <see cref="HandshakeServer"/> keeps its pending handshakes between steps: opaque records, each with a
/// version, under the handshake's server_nonce, and found from its nonce as well. One process keeps them in memory
/// (<see cref="InMemoryPendingHandshakeStore"/>); the nodes of a cluster share one, because an HTTP client's next step
/// may reach another node (docs/cluster.md, "Pending handshakes"). A step reads the record, runs, and writes it back
/// only if no other step replaced it meanwhile, so two nodes never both advance one handshake.
/// </summary>
/// <remarks>
/// A record holds the handshake's DH secret and temporary AES key. A store outside this process must keep it
/// confidential. Every method may throw <see cref="IOException"/> when the store cannot be reached; the handshake
/// server then refuses the query with -404.
/// </remarks>
public interface IPendingHandshakeStore
{
    /// <summary>
    /// Adds a new handshake, kept for <paramref name="lifetime"/>. False, and nothing added, when a handshake with
    /// <paramref name="nonce"/> is already kept.
    /// </summary>
    bool TryAdd(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> serverNonce, byte[] record, TimeSpan lifetime);

    /// <summary>The record kept under <paramref name="serverNonce"/>, with its version; null when unknown or expired.</summary>
    StoredHandshake? Find(ReadOnlySpan<byte> serverNonce);

    /// <summary>The server_nonce of the handshake kept for <paramref name="nonce"/>; null when none is.</summary>
    byte[]? FindServerNonce(ReadOnlySpan<byte> nonce);

    /// <summary>
    /// Replaces the record under <paramref name="serverNonce"/> if it is still at <paramref name="version"/>, keeping
    /// its expiry; false when another step replaced it first, or it expired.
    /// </summary>
    bool TryReplace(ReadOnlySpan<byte> serverNonce, long version, byte[] record);
}

/// <summary>A pending handshake's record as a store keeps it, and the version a replacement must name.</summary>
public readonly record struct StoredHandshake(byte[] Record, long Version);
