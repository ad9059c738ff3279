namespace Testbed.Protocol.Handshake;

/// <summary>What the client does after the server's answer to set_client_DH_params.</summary>
public abstract record HandshakeClientResult;

/// <summary>dh_gen_ok: the key exists.</summary>
/// <param name="AuthKey">The 256-byte key; the caller owns it and wipes it when done.</param>
/// <param name="ServerSalt">The first salt.</param>
/// <param name="ServerTimeOffset">server_time minus the local clock, for msg_id generation.</param>
public sealed record HandshakeClientDone(byte[] AuthKey, long ServerSalt, TimeSpan ServerTimeOffset) : HandshakeClientResult;

/// <summary>dh_gen_retry: send <paramref name="Query"/>, a new set_client_DH_params with retry_id set.</summary>
/// <param name="Query">The serialized set_client_DH_params.</param>
public sealed record HandshakeClientRetry(byte[] Query) : HandshakeClientResult;
