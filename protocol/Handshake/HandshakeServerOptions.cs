using System.Numerics;

namespace Testbed.Protocol.Handshake;

/// <summary>Settings of a <see cref="HandshakeServer"/>.</summary>
public sealed class HandshakeServerOptions
{
    /// <summary>The server's RSA keys; resPQ offers all their fingerprints.</summary>
    public required IReadOnlyList<RsaKeyPair> RsaKeys { get; init; }

    /// <summary>dh_prime (default: the published prime).</summary>
    public BigInteger DhPrime { get; init; } = DhGroup.PublishedPrime;

    /// <summary>g (default 3).</summary>
    public int Generator { get; init; } = DhGroup.PublishedGenerator;

    /// <summary>The DC ids this server serves; a p_q_inner_data_dc for another gets -444.</summary>
    public IReadOnlySet<int> DataCenters { get; init; } = new HashSet<int> { 1 };

    /// <summary>The clock (server_time, expiry).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>How long an unfinished (or finished, for identical re-sends) handshake is remembered: 10 minutes.</summary>
    public TimeSpan PendingLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The most handshakes this server began within one <see cref="PendingLifetime"/>; past it new ones get -429.
    /// Every handshake is kept for that lifetime, finished or not, so it bounds what this server adds to the store.
    /// </summary>
    public int MaxPending { get; init; } = 10_000;

    /// <summary>
    /// Where pending handshakes are kept between steps (default: this process's memory). The nodes of a cluster share
    /// one, so that a handshake's steps may reach different nodes.
    /// </summary>
    public IPendingHandshakeStore? PendingStore { get; init; }

    /// <summary>The longest temporary key lifetime accepted (expires_in), in seconds: one day.</summary>
    public int MaxTemporaryKeySeconds { get; init; } = 86_400;

    /// <summary>LEGACY: also accept the old <c>RSA(SHA1(data) | data | padding)</c> encoding (docs/protocol.md §5.2).</summary>
    public bool AcceptLegacyRsa { get; init; }

    /// <summary>Whether an auth_key_id is already in use; if so the client is asked to retry (dh_gen_retry).</summary>
    public Func<long, bool> IsAuthKeyIdTaken { get; init; } = _ => false;

    /// <summary>
    /// Whether g_b must lie in (1, dh_prime - 1) with the 2^1984 margins (on by default). Off only for the server's
    /// g-b-range-unchecked fault profile: a peer can then force a predictable key (g_b = 1 gives auth_key = 1).
    /// </summary>
    public bool CheckClientPublicValue { get; init; } = true;
    // The options below are on by default and off only for the server's test-only violations (server/Faults/Violations),
    // each of which breaks one conformance requirement of the handshake.

    /// <summary>Whether resPQ echoes the client's nonce (on by default); off, it carries the server_nonce in its place.</summary>
    public bool EchoClientNonce { get; init; } = true;

    /// <summary>Whether req_DH_params must name an offered key fingerprint (on by default); off, an unknown one is taken for the first key.</summary>
    public bool CheckKeyFingerprint { get; init; } = true;

    /// <summary>Whether req_DH_params' p and q must be pq's factors (on by default); off, any minimally encoded p and q pass.</summary>
    public bool CheckFactorValues { get; init; } = true;

    /// <summary>Whether req_DH_params' p and q must be minimally encoded (on by default); off, they are compared as numbers.</summary>
    public bool CheckFactorEncoding { get; init; } = true;

    /// <summary>Whether encrypted_data that is no p_q_inner_data gets -404 (on by default); off, it gets server_DH_params_fail.</summary>
    public bool RefuseUnreadableInnerData { get; init; } = true;

    /// <summary>Whether a query must name a server_nonce the server issued (on by default); off, one naming another is taken for the handshake of its nonce.</summary>
    public bool CheckServerNonce { get; init; } = true;

    /// <summary>Whether an identical re-sent query gets the stored answer (on by default); off, it is handled as a new query.</summary>
    public bool ReplayResentQueries { get; init; } = true;

    /// <summary>Whether a refused query ends its handshake (on by default); off, the handshake goes on as if it had not been sent.</summary>
    public bool PoisonRefusedHandshakes { get; init; } = true;

    /// <summary>Whether p_q_inner_data_dc must name a served DC (on by default); off, any DC is accepted.</summary>
    public bool CheckDataCenter { get; init; } = true;

    /// <summary>Whether the older req_pq is answered like req_pq_multi (on by default); off, it is refused as no handshake query.</summary>
    public bool AnswerReqPq { get; init; } = true;

    /// <summary>Whether p_q_inner_data's nonce, server_nonce, pq, p and q must match req_DH_params and resPQ (on by default); off, they are not compared.</summary>
    public bool CheckInnerData { get; init; } = true;

    /// <summary>
    /// Whether encrypted_data whose RSA_PAD is valid but holds no p_q_inner_data gets -404 (on by default); off, it gets
    /// server_DH_params_fail, which tells the sender its padding was right.
    /// </summary>
    public bool RefuseForeignInnerData { get; init; } = true;

    /// <summary>Whether a temporary key's expires_in must be at least 1 (on by default); off, only the maximum is checked.</summary>
    public bool CheckTemporaryKeyMinimum { get; init; } = true;

    /// <summary>Whether client_DH_inner_data must carry the handshake's nonce and server_nonce (on by default); off, they are not compared.</summary>
    public bool CheckClientInnerData { get; init; } = true;

    /// <summary>Whether a first client_DH_inner_data must carry retry_id 0 (and later ones the last aux_hash; on by default).</summary>
    public bool CheckRetryId { get; init; } = true;
}
