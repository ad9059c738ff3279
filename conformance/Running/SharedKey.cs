using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;

namespace Testbed.Conformance.Running;

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
        HandshakeClientDone done = await TransportHandshake.RunAsync(transport, target.ServerKey,
            new HandshakeClientOptions { DataCenter = target.DataCenter }, null, cancel).ConfigureAwait(false);
        return new SharedKey(done.AuthKey, done.ServerSalt, done.ServerTimeOffset);
    }
}
