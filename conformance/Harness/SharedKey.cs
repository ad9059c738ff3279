using System.Diagnostics;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;

namespace Testbed.Conformance.Harness;

/// <summary>
/// One auth key for the whole run, created on first use: most cases only need a session of their own (sessions of a
/// key are independent, docs/protocol.md §3.5), and a handshake per case would hit servers' handshake rate limits.
/// </summary>
internal sealed class SharedKey
{
    private SharedKey(byte[] key, long salt, TimeSpan clockOffset) => (Key, Salt, ClockOffset) = (key, salt, clockOffset);

    public byte[] Key { get; }

    public long Salt { get; }

    public TimeSpan ClockOffset { get; }

    /// <summary>Runs a handshake over a new connection and keeps the key.</summary>
    public static async Task<SharedKey> CreateAsync(Target target, CancellationToken cancel)
    {
        await using IPacketTransport transport = await target.ConnectAsync(cancel).ConfigureAwait(false);
        return await CreateOnAsync(transport, target, cancel).ConfigureAwait(false);
    }

    /// <summary>Runs a handshake over <paramref name="transport"/>, which stays open (a probe goes on using it).</summary>
    public static async Task<SharedKey> CreateOnAsync(IPacketTransport transport, Target target, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(target);
        HandshakeClientDone done = await TransportHandshake.RunAsync(transport, target.ServerKey,
            new HandshakeClientOptions { DataCenter = target.DataCenter }, null, cancel).ConfigureAwait(false);
        TimeSpan offset = await RefineClockOffsetAsync(transport, done, cancel).ConfigureAwait(false) ?? done.ServerTimeOffset;
        return new SharedKey(done.AuthKey, done.ServerSalt, offset);
    }

    /// <summary>
    /// The handshake's server_time has whole seconds only, so its offset can leave the client up to a second behind,
    /// and a server that refuses msg_ids from before its start (docs/protocol.md §3.4) then refuses a just-started
    /// run's first messages. One ping fixes that: whatever the server answers, its msg_id carries its time to the
    /// microsecond, taken as the middle of the round trip. The msg_id is taken only when it agrees with server_time
    /// (<see cref="HandshakeClientDone.WithOffsetFromServerMsgId"/>): a server whose msg_ids are off its own clock
    /// must not set the clock that SVC-019 judges those msg_ids by. Null when no answer came.
    /// </summary>
    private static async Task<TimeSpan?> RefineClockOffsetAsync(IPacketTransport transport, HandshakeClientDone done, CancellationToken cancel)
    {
        using var key = AuthKey.FromBytes(done.AuthKey);
        var session = new ClientSession(key, done.ServerSalt);
        session.MsgIds.ClockOffset = done.ServerTimeOffset;
        (byte[] wire, _) = session.Encrypt(TlCodec.Testbed.Serialize(new TlObject(TlSchema.Testbed["ping"], 0L)), contentRelated: true);
        DateTimeOffset sent = DateTimeOffset.UtcNow;
        long started = Stopwatch.GetTimestamp();
        await transport.SendAsync(wire, cancel).ConfigureAwait(false);
        byte[]? answer;
        try
        {
            answer = await transport.ReceiveAsync(cancel).WaitAsync(TimeSpan.FromSeconds(5), cancel).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }

        DateTimeOffset middle = sent + (Stopwatch.GetElapsedTime(started) / 2);
        return answer is not null && session.TryDecrypt(answer, out EnvelopeHeader header, out _)
            ? done.WithOffsetFromServerMsgId(header.MsgId, middle).ServerTimeOffset
            : null;
    }
}
