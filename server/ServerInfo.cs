using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;
using Testbed.Server.Api;
using Testbed.Server.Chat;
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
            // The port bound (when the setting asked for any free one, 0), or the balancer's in front of a cluster.
            tcp = endpoints.AdvertisedTcp.ToString(),
            tcpFramings = new[] { "abridged", "intermediate", "padded-intermediate", "full" },
            http = "/api",
            webSocket = "/apiws",
        },
        // Which node answered, and whether it shares its sessions' replay windows with a cluster (docs/cluster.md).
        node = settings.NodeName,
        cluster = settings.Redis is not null,
        faults = settings.Faults,
        acceptLegacyRsa = settings.AcceptLegacyRsa,
        encryptedSessions = new
        {
            // From the schema the server reads with (Tl/Schema), so the list cannot fall behind what is served.
            mtprotoFunctions = Functions(c => TlSchema.MTProto.TryGet(c.Id, out _) && !HandshakeQuery.Is(c)),
            serviceMessages = new[] { "msgs_ack", "msgs_state_req", "msg_resend_req", "msg_container", "gzip_packed" },
            apiWrappers = Functions(c => c.IsGeneric),
            help = Functions(HelpService.Handles),
            configLayers = $"{HelpService.FirstLayer}-{HelpService.LastLayer} (config#cc1a241e)",
            chat = Functions(ChatService.Handles),
            unknownFunctions = RpcErrors.MethodInvalid.ToString(),
            unparsableMessages = RpcErrors.FetchFail.ToString(),
        },
    };

    private static string[] Functions(Func<TlCombinator, bool> served) =>
        [.. TlSchema.Testbed.Combinators.Where(c => c.IsFunction && served(c)).Select(c => c.Name)];
}
