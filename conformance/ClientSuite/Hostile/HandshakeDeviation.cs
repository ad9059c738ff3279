using System.Numerics;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>The Diffie-Hellman values server_DH_inner_data carries (docs/protocol.md §5.4), as a case may replace them.</summary>
internal sealed record DhValues(int G, BigInteger Prime, BigInteger GA);

/// <summary>
/// The one point where a case makes the handshake deviate (docs/protocol.md §5); everything else is the reference
/// server's <see cref="Testbed.Protocol.Handshake.HandshakeServer"/> as it runs in production. At most one member is
/// set per case.
/// </summary>
internal sealed record HandshakeDeviation
{
    /// <summary>Replaces resPQ (nonce, pq, fingerprints).</summary>
    public Func<TlObject, TlObject>? ResPq { get; init; }

    /// <summary>Replaces g, dh_prime or g_a inside the encrypted answer (re-encrypted with the right SHA-1).</summary>
    public Func<DhValues, DhValues>? Dh { get; init; }

    /// <summary>Flips a bit of the SHA-1 in front of server_DH_inner_data.</summary>
    public bool CorruptAnswerHash { get; init; }

    /// <summary>Replaces server_DH_params_ok as a whole (its server_nonce, or server_DH_params_fail in its place).</summary>
    public Func<TlObject, HandshakeSecrets, TlObject>? ServerDhParams { get; init; }

    /// <summary>The server answers dh_gen_retry this many times (as when the key's id is taken) before dh_gen_ok.</summary>
    public int Retries { get; init; }

    /// <summary>Replaces dh_gen_ok (a wrong new_nonce_hash1, dh_gen_fail in its place).</summary>
    public Func<TlObject, HandshakeSecrets, TlObject>? DhGen { get; init; }
}

/// <summary>What the hostile server knows of a handshake in progress: enough to build any answer a case wants.</summary>
/// <param name="NewNonce">new_nonce, from the client's p_q_inner_data.</param>
/// <param name="AuthKey">The key, once set_client_DH_params made it (else empty).</param>
internal sealed record HandshakeSecrets(byte[] NewNonce, byte[] AuthKey);
