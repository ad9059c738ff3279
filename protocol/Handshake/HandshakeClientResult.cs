namespace Testbed.Protocol.Handshake;

/// <summary>What the client does after the server's answer to set_client_DH_params.</summary>
public abstract record HandshakeClientResult;

/// <summary>dh_gen_ok: the key exists.</summary>
/// <param name="AuthKey">The 256-byte key; the caller owns it and wipes it when done.</param>
/// <param name="ServerSalt">The first salt.</param>
/// <param name="ServerTimeOffset">server_time minus the local clock, for msg_id generation.</param>
public sealed record HandshakeClientDone(byte[] AuthKey, long ServerSalt, TimeSpan ServerTimeOffset) : HandshakeClientResult
{
    /// <summary>
    /// server_time has whole seconds, so <see cref="ServerTimeOffset"/> can leave the client up to a second behind the
    /// server — enough for a server that refuses msg_ids from before its start to refuse a fresh client's first
    /// messages. The msg_id of the server's last unencrypted answer carries its clock to the microsecond
    /// (docs/protocol.md §3.1); this takes it when it agrees with server_time to within two seconds (a server whose
    /// msg_ids are not its clock is not trusted).
    /// </summary>
    /// <param name="serverMsgId">The msg_id of the unencrypted message that carried dh_gen_ok.</param>
    /// <param name="receivedAt">When it arrived, by the local clock.</param>
    public HandshakeClientDone WithOffsetFromServerMsgId(long serverMsgId, DateTimeOffset receivedAt)
    {
        TimeSpan precise = Messages.MsgId.ToTime(serverMsgId) - receivedAt;
        return (precise - ServerTimeOffset).Duration() < TimeSpan.FromSeconds(2) ? this with { ServerTimeOffset = precise } : this;
    }
}

/// <summary>dh_gen_retry: send <paramref name="Query"/>, a new set_client_DH_params with retry_id set.</summary>
/// <param name="Query">The serialized set_client_DH_params.</param>
public sealed record HandshakeClientRetry(byte[] Query) : HandshakeClientResult;
