namespace Testbed.Protocol.Handshake;

/// <summary>The server's answers in the handshake (docs/protocol.md §5), named so that a refusal says which one failed a check.</summary>
public enum HandshakeAnswer
{
    /// <summary>resPQ: the nonce, the key fingerprints, pq (§5.1, §5.2).</summary>
    ResPq,

    /// <summary>server_DH_params_ok and its Server_DH_inner_data: nonces, dh_prime, g, g_a (§5.4).</summary>
    ServerDhParams,

    /// <summary>dh_gen_ok, dh_gen_retry or dh_gen_fail and its new_nonce_hash (§5.5).</summary>
    DhGen,
}
