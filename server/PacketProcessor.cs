using System.Buffers.Binary;
using Testbed.Server.Transport;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Server.Sessions;
using Testbed.Server.Storage;

namespace Testbed.Server;

/// <summary>
/// Takes one MTProto payload from any transport and answers on its connection: unencrypted messages go to the
/// handshake, encrypted ones to their session (docs/protocol.md §2–§5).
/// </summary>
internal sealed class PacketProcessor(HandshakeServer handshake, AuthKeyStore authKeys, HandshakeRateLimiter rateLimiter,
    EncryptedMessageProcessor encrypted, SecurityEventLog events, TimeProvider clock, ILogger<PacketProcessor> log, Faults.ServerBehaviour behaviour,
    Cluster.ClusterHandshakeLimit? clusterLimit = null)
{
    private readonly MsgIdGenerator _msgIds = new(clock);

    /// <summary>Processes a payload. Never throws: an unexpected failure is logged and answered with -404.</summary>
    /// <param name="payload">The payload as the transport delivered it.</param>
    /// <param name="mayHavePadding">Whether the framing adds 0–15 random bytes (padded intermediate).</param>
    /// <param name="connection">Where answers go; also names the transport and peer.</param>
    public void Process(ReadOnlySpan<byte> payload, bool mayHavePadding, IClientConnection connection)
    {
        try
        {
            if (UnencryptedMessage.IsUnencrypted(payload))
            {
                ProcessHandshake(payload, mayHavePadding, connection);
            }
            else
            {
                ProcessEncrypted(payload, connection);
            }
        }
#pragma warning disable CA1031 // The transport edge: a bug must not become a 500 or a dropped connection without an answer.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (events.Write("packet_failed", connection.Origin, ("length", payload.Length), ("error", e.GetType().Name)))
            {
                ServerLog.PacketFailed(log, e, payload.Length);
            }

            connection.SendError(-404);
        }
    }

    private void ProcessHandshake(ReadOnlySpan<byte> payload, bool mayHavePadding, IClientConnection connection)
    {
        bool wellFormed = UnencryptedMessage.TryRead(payload, out long msgId, out int length, allowTrailing: mayHavePadding);
        bool query = wellFormed && HandshakeQuery.Is(payload.Slice(UnencryptedMessage.HeaderSize, length));
        // In a cluster a handshake query must also find room in the address's budget for all nodes together.
        if (!rateLimiter.TryAcquire(connection.Origin.Address, query) || (query && clusterLimit?.TryAcquire(connection.Origin.Address) == false))
        {
            Refuse(-429, query ? "handshake rate limit for this address" : "rate limit for other unencrypted messages from this address", connection);
            return;
        }

        if (!wellFormed)
        {
            if (behaviour.Violates(Faults.Violations.RobustnessViolations.MalformedUnencryptedIgnored))
            {
                return;
            }

            Refuse(-404, "malformed unencrypted message", connection);
            return;
        }

        HandshakeOutcome outcome = handshake.Handle(payload.Slice(UnencryptedMessage.HeaderSize, length));
        switch (outcome)
        {
            case HandshakeReply reply:
                Reply(reply.Response, connection);
                break;
            case HandshakeCompleted completed:
                Complete(completed, connection);
                break;
            case HandshakeTransportError error:
                Refuse(error.Code, error.Reason, connection, ("msgId", msgId));
                break;
            default:
                throw new InvalidOperationException($"Unknown handshake outcome {outcome.GetType().Name}.");
        }
    }

    private void Complete(HandshakeCompleted completed, IClientConnection connection)
    {
        using var key = AuthKey.FromBytes(completed.AuthKey);
        DateTimeOffset now = clock.GetUtcNow();
        DateTimeOffset? expires = completed.ExpiresInSeconds is int seconds ? now.AddSeconds(seconds) : null;
        if (behaviour.Violates(expires is null ? Faults.Violations.HandshakeViolations.PermanentKeyNotStored : Faults.Violations.HandshakeViolations.TemporaryKeyNotStored))
        {
            Reply(completed.Response, connection);
            return;
        }

        bool stored = authKeys.TryAdd(key.Id, completed.AuthKey, completed.DataCenter, now, expires, completed.ServerSalt);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(completed.AuthKey);
        if (!stored)
        {
            // The handshake asked the store first (dh_gen_retry); losing a race for the same id is not worth a key.
            ServerLog.AuthKeyIdRaced(log, key.Id);
            connection.SendError(-404);
            return;
        }

        if (events.Write("auth_key_created", connection.Origin, ("authKeyId", Hex(key.Id)), ("dc", completed.DataCenter), ("temporary", expires is not null)))
        {
            ServerLog.NewAuthKey(log, expires is null ? "permanent" : "temporary", key.Id, completed.DataCenter);
        }

        Reply(completed.Response, connection);
    }

    private void ProcessEncrypted(ReadOnlySpan<byte> payload, IClientConnection connection)
    {
        long authKeyId = payload.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(payload) : 0;
        EncryptedOutcome outcome = encrypted.Process(payload, connection);
        if (outcome.Event != "message_processed")
        {
            Report(outcome, authKeyId, connection);
        }

        // The messages inside it that have an event of their own: each refusal in a container, a client's initConnection.
        foreach (EncryptedOutcome inner in outcome.Inner ?? [])
        {
            Report(inner, authKeyId, connection);
        }

        if (outcome.TransportError != 0)
        {
            connection.SendError(outcome.TransportError);
        }
    }

    private void Report(EncryptedOutcome outcome, long authKeyId, IClientConnection connection)
    {
        if (events.Write(outcome.Event, connection.Origin, ("authKeyId", Hex(authKeyId)),
                ("sessionId", outcome.SessionId is { } session ? Hex(session) : null), ("msgId", outcome.MsgId), ("detail", outcome.Detail)))
        {
            ServerLog.EncryptedRefused(log, outcome.Event, authKeyId);
        }
    }

    private void Refuse(int code, string reason, IClientConnection connection, params ReadOnlySpan<(string Name, object? Value)> extra)
    {
        if (events.Write("handshake_refused", connection.Origin, [("code", code), ("reason", reason), .. extra]))
        {
            ServerLog.HandshakeRefused(log, code, reason);
        }

        connection.SendError(code);
    }

    private static string Hex(long id) => ((ulong)id).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private void Reply(byte[] response, IClientConnection connection) =>
        connection.Send(UnencryptedMessage.Build(_msgIds.Next(MsgIdSender.ServerResponse), response));
}
