namespace Testbed.Protocol.Handshake;

/// <summary>Settings of a <see cref="HandshakeClient"/>, including the deliberate deviations negative tests need.</summary>
public sealed class HandshakeClientOptions
{
    /// <summary>The DC to ask for (p_q_inner_data_dc); null sends the plain p_q_inner_data.</summary>
    public int? DataCenter { get; init; } = 1;

    /// <summary>Ask for a temporary key of this lifetime in seconds (p_q_inner_data_temp_dc).</summary>
    public int? TemporaryKeyExpiresIn { get; init; }

    /// <summary>LEGACY: encrypt p_q_inner_data the pre-RSA_PAD way.</summary>
    public bool UseLegacyRsa { get; init; }

    /// <summary>Negative tests: replace the g_b the client would send (big-endian bytes in, bytes out).</summary>
    public Func<byte[], byte[]>? ReplaceGB { get; init; }

    /// <summary>Negative tests: the retry_id to send instead of the right one (0 on a first attempt).</summary>
    public long? ReplaceRetryId { get; init; }

    /// <summary>
    /// Deliberate defects for the client conformance suite: the handshake reads
    /// <see cref="Client.ClientFaults.AcceptAnyDhPrime"/> and <see cref="Client.ClientFaults.NoGARangeCheck"/>;
    /// <see cref="Client.MtProtoClient.ConnectAsync"/> hands the rest to the session.
    /// </summary>
    public Client.ClientFaults Faults { get; init; }

    /// <summary>The clock (to learn the offset to server_time).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
