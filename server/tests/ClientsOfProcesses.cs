using Testbed.Protocol.Client;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>Library clients of server processes (<see cref="ServerProcess"/>): only the server tests start those.</summary>
internal static partial class Clients
{
    /// <summary>TCP (intermediate) to a server process, whose key is read from its /server-key.pem.</summary>
    public static async Task<IPacketTransport> TcpAsync(ServerProcess server) =>
        await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Intermediate);

    /// <summary>A new auth key with a server process, over <see cref="TcpAsync(ServerProcess)"/>.</summary>
    public static async Task<MtProtoClient> ConnectAsync(ServerProcess server)
    {
        using var http = new HttpClient();
        var key = Testbed.Protocol.Handshake.RsaPublicKey.FromPem(await http.GetStringAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/server-key.pem")));
        return await MtProtoClient.ConnectAsync(await TcpAsync(server), key);
    }
}
