using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Client;

/// <summary>Runs <see cref="HandshakeClient"/> over a packet transport: unencrypted messages, one exchange per step.</summary>
public static class TransportHandshake
{
    private const int MaxRetries = 5;

    /// <summary>Creates an auth key; every answer is checked by the handshake client.</summary>
    /// <exception cref="HandshakeException">An answer failed a check.</exception>
    /// <exception cref="TransportErrorException">The server refused a step with a transport error.</exception>
    /// <exception cref="IOException">The server closed the connection.</exception>
    public static async Task<HandshakeClientDone> RunAsync(IPacketTransport transport, RsaPublicKey serverKey,
        HandshakeClientOptions? options, Action<byte[], bool>? observer, CancellationToken cancel)
    {
        var handshake = new HandshakeClient([serverKey], options);
        var msgIds = new MsgIdGenerator(options?.Clock);
        TimeProvider clock = options?.Clock ?? TimeProvider.System;
        long lastServerMsgId = 0;
        DateTimeOffset lastReceived = default;
        async Task<byte[]> Step(byte[] query)
        {
            byte[] packet = UnencryptedMessage.Build(msgIds.Next(MsgIdSender.Client), query);
            observer?.Invoke(packet, true);
            await transport.SendAsync(packet, cancel).ConfigureAwait(false);
            byte[] answer = await transport.ReceiveAsync(cancel).ConfigureAwait(false)
                ?? throw new IOException("The server closed the connection during the handshake.");
            observer?.Invoke(answer, false);
            if (answer.Length == 4)
            {
                throw new TransportErrorException(BinaryPrimitives.ReadInt32LittleEndian(answer));
            }

            if (!UnencryptedMessage.TryRead(answer, out long serverMsgId, out int length, allowTrailing: true))
            {
                throw new HandshakeException($"expected an unencrypted message, got {answer.Length} bytes");
            }

            (lastServerMsgId, lastReceived) = (serverMsgId, clock.GetUtcNow());

            return answer.AsSpan(UnencryptedMessage.HeaderSize, length).ToArray();
        }

        byte[] setDh = handshake.OnServerDhParams(await Step(handshake.OnResPq(await Step(handshake.Start()).ConfigureAwait(false)))
            .ConfigureAwait(false));
        HandshakeClientResult result = handshake.OnDhGen(await Step(setDh).ConfigureAwait(false));
        for (int retries = 0; result is HandshakeClientRetry retry; retries++)
        {
            // dh_gen_retry means the key's auth_key_id collides, which a fresh g_b settles at once; a server that keeps
            // asking is stalling, not colliding.
            if (retries == MaxRetries)
            {
                throw new HandshakeException($"dh_gen_retry {MaxRetries + 1} times in a row");
            }

            result = handshake.OnDhGen(await Step(retry.Query).ConfigureAwait(false));
        }

        return ((HandshakeClientDone)result).WithOffsetFromServerMsgId(lastServerMsgId, lastReceived);
    }
}
