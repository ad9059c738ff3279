using Testbed.Protocol.Handshake;
using Testbed.Server.Keys;

namespace Testbed.Server;

/// <summary>GET /server-info: what a client or the conformance tool needs to pin and reach this server.</summary>
internal static class ServerInfo
{
    public static object Describe(ServerKeyStore keys, ServerSettings settings, ServerEndpoints endpoints) => new
    {
        server = "testbed-server",
        protocol = "MTProto 2.0",
        dataCenter = settings.DataCenter,
        rsaKeys = new[]
        {
            new
            {
                fingerprint = keys.FingerprintHex,
                fingerprintSigned = keys.Key.PublicKey.Fingerprint,
                pem = keys.PublicPem,
            },
        },
        dh = new { g = DhGroup.PublishedGenerator, prime = Convert.ToHexStringLower(DhGroup.PublishedPrimeBytes) },
        transports = new
        {
            tcp = endpoints.Tcp.Bound.ToString(), // the port bound, when the setting asked for any free one (0)
            tcpFramings = new[] { "abridged", "intermediate", "padded-intermediate", "full" },
            http = "/api",
            webSocket = "/apiws",
        },
        faults = settings.Faults,
        encryptedSessions = "ping, msgs_ack, get_future_salts; no RPC methods yet",
    };
}
