using System.Buffers.Binary;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Server.Sessions;
using Testbed.Server.Storage;

namespace Testbed.Server;

/// <summary>The answer to one transport payload: a packet, a transport error code instead, or nothing.</summary>
/// <param name="Response">The packet, when there is one.</param>
/// <param name="TransportError">-404, -429 or -444 in place of a packet; 0 otherwise.</param>
public readonly record struct PacketResult(byte[]? Response, int TransportError)
{
    /// <summary>The 4-byte little-endian error code that TCP and WebSocket send in place of a packet.</summary>
    public byte[] ErrorPayload()
    {
        byte[] payload = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(payload, TransportError);
        return payload;
    }
}

/// <summary>
/// Turns one MTProto payload, from any transport, into its answer: unencrypted messages go to the handshake,
/// encrypted ones to their session (docs/protocol.md §2–§5).
/// </summary>
internal sealed class PacketProcessor(HandshakeServer handshake, AuthKeyStore authKeys, HandshakeRateLimiter rateLimiter,
    EncryptedMessageProcessor encrypted, SecurityEventLog events, TimeProvider clock, ILogger<PacketProcessor> log)
{
    private readonly MsgIdGenerator _msgIds = new(clock);

    /// <summary>Processes a payload. Never throws: an unexpected failure is logged and answered with -404.</summary>
    /// <param name="payload">The payload as the transport delivered it.</param>
    /// <param name="mayHavePadding">Whether the framing adds 0–15 random bytes (padded intermediate).</param>
    /// <param name="origin">The transport and peer.</param>
    public PacketResult Process(ReadOnlySpan<byte> payload, bool mayHavePadding, PacketOrigin origin)
    {
        try
        {
            return UnencryptedMessage.IsUnencrypted(payload)
                ? ProcessHandshake(payload, mayHavePadding, origin)
                : ProcessEncrypted(payload, origin);
        }
#pragma warning disable CA1031 // The transport edge: a bug must not become a 500 or a dropped connection without an answer.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ServerLog.PacketFailed(log, e, payload.Length);
            Event("packet_failed", origin, ("length", payload.Length), ("error", e.GetType().Name));
            return new PacketResult(null, -404);
        }
    }

    private PacketResult ProcessHandshake(ReadOnlySpan<byte> payload, bool mayHavePadding, PacketOrigin origin)
    {
        if (!rateLimiter.TryAcquire(origin.Address))
        {
            return Refuse(-429, "handshake rate limit for this address", origin);
        }

        if (!UnencryptedMessage.TryRead(payload, out long msgId, out int length, allowTrailing: mayHavePadding))
        {
            return Refuse(-404, "malformed unencrypted message", origin);
        }

        HandshakeOutcome outcome = handshake.Handle(payload.Slice(UnencryptedMessage.HeaderSize, length));
        switch (outcome)
        {
            case HandshakeReply reply:
                return Reply(reply.Response);
            case HandshakeCompleted completed:
                return Complete(completed, origin);
            case HandshakeTransportError error:
                return Refuse(error.Code, error.Reason, origin, ("msgId", msgId));
            default:
                throw new InvalidOperationException($"Unknown handshake outcome {outcome.GetType().Name}.");
        }
    }

    private PacketResult Complete(HandshakeCompleted completed, PacketOrigin origin)
    {
        using var key = AuthKey.FromBytes(completed.AuthKey);
        DateTimeOffset now = clock.GetUtcNow();
        DateTimeOffset? expires = completed.ExpiresInSeconds is int seconds ? now.AddSeconds(seconds) : null;
        bool stored = authKeys.TryAdd(key.Id, completed.AuthKey, completed.DataCenter, now, expires, completed.ServerSalt);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(completed.AuthKey);
        if (!stored)
        {
            // The handshake asked the store first (dh_gen_retry); losing a race for the same id is not worth a key.
            ServerLog.AuthKeyIdRaced(log, key.Id);
            return new PacketResult(null, -404);
        }

        ServerLog.NewAuthKey(log, expires is null ? "permanent" : "temporary", key.Id, completed.DataCenter);
        Event("auth_key_created", origin, ("authKeyId", Hex(key.Id)), ("dc", completed.DataCenter), ("temporary", expires is not null));
        return Reply(completed.Response);
    }

    private PacketResult ProcessEncrypted(ReadOnlySpan<byte> payload, PacketOrigin origin)
    {
        long authKeyId = payload.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(payload) : 0;
        EncryptedOutcome outcome = encrypted.Process(payload);
        if (outcome.Event != "message_processed")
        {
            ServerLog.EncryptedRefused(log, outcome.Event, authKeyId);
            Event(outcome.Event, origin, ("authKeyId", Hex(authKeyId)), ("detail", outcome.Detail));
        }

        return new PacketResult(outcome.Response, outcome.TransportError);
    }

    private PacketResult Refuse(int code, string reason, PacketOrigin origin, params (string Name, object? Value)[] extra)
    {
        ServerLog.HandshakeRefused(log, code, reason);
        Event("handshake_refused", origin, [("code", code), ("reason", reason), .. extra]);
        return new PacketResult(null, code);
    }

    private void Event(string name, PacketOrigin origin, params (string Name, object? Value)[] fields)
    {
        var entry = new Dictionary<string, object?> { ["transport"] = origin.Transport, ["remote"] = origin.AddressText };
        foreach ((string fieldName, object? value) in fields)
        {
            entry[fieldName] = value;
        }

        events.Write(name, entry);
    }

    private static string Hex(long id) => ((ulong)id).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private PacketResult Reply(byte[] response) =>
        new(UnencryptedMessage.Build(_msgIds.Next(MsgIdSender.ServerResponse), response), 0);
}
