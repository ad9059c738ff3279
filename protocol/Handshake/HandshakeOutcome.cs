namespace Testbed.Protocol.Handshake;

/// <summary>What <see cref="HandshakeServer.Handle"/> decided about one handshake query.</summary>
public abstract record HandshakeOutcome;

/// <summary>Send <paramref name="Response"/> (serialized TL) back in an unencrypted message.</summary>
/// <param name="Response">resPQ, server_DH_params_ok, dh_gen_retry or dh_gen_fail; or a stored answer to an identical re-sent query.</param>
public sealed record HandshakeReply(byte[] Response) : HandshakeOutcome;

/// <summary>Send the transport error <paramref name="Code"/> (-404, -429 or -444) instead of a packet.</summary>
/// <param name="Code">The negative transport error code.</param>
/// <param name="Reason">Why, for the security-event log and tests; never sent to the peer.</param>
public sealed record HandshakeTransportError(int Code, string Reason) : HandshakeOutcome;

/// <summary>A new auth key exists: store it, then send <paramref name="Response"/> (dh_gen_ok).</summary>
/// <param name="Response">The serialized dh_gen_ok.</param>
/// <param name="AuthKey">The 256-byte key. The receiver owns it and must wipe it when done.</param>
/// <param name="ServerSalt">The first salt: new_nonce[0:8] XOR server_nonce[0:8].</param>
/// <param name="DataCenter">The DC the client asked for (p_q_inner_data_dc / _temp_dc), if any.</param>
/// <param name="ExpiresInSeconds">For a temporary key (p_q_inner_data_temp_dc): its lifetime.</param>
public sealed record HandshakeCompleted(byte[] Response, byte[] AuthKey, long ServerSalt, int? DataCenter, int? ExpiresInSeconds)
    : HandshakeOutcome;
