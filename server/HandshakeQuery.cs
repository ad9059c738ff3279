using System.Buffers.Binary;
using Testbed.Protocol.Tl;

namespace Testbed.Server;

/// <summary>
/// Recognises the four handshake queries by their constructor id alone (docs/protocol.md §5), before anything is
/// parsed, so that only what asks for handshake work spends the handshake rate limit (<see cref="HandshakeRateLimiter"/>).
/// </summary>
internal static class HandshakeQuery
{
    private static readonly HashSet<uint> Constructors = new[] { "req_pq", "req_pq_multi", "req_DH_params", "set_client_DH_params" }
        .Select(name => TlSchema.MTProto[name].Id).ToHashSet();

    /// <summary>Whether <paramref name="function"/> is one of the handshake queries (sent unencrypted, never in a session).</summary>
    public static bool Is(TlCombinator function) => Constructors.Contains(function.Id);

    /// <summary>Whether an unencrypted message's message_data starts with a handshake query's constructor id.</summary>
    public static bool Is(ReadOnlySpan<byte> messageData) =>
        messageData.Length >= sizeof(uint) && Constructors.Contains(BinaryPrimitives.ReadUInt32LittleEndian(messageData));
}
