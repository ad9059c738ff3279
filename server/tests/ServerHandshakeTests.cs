using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text.Json;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>The running server: auth-key creation over every transport, storage across a restart, and bad input.</summary>
public sealed class ServerHandshakeTests : RunningServerTest
{
    public static TheoryData<string> Transports() => new()
    {
        "tcp-abridged", "tcp-intermediate", "tcp-padded-intermediate", "tcp-full", "websocket", "http",
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_client_creates_an_auth_key_the_server_stores(string transport)
    {
        await using ITestTransport connection = await ConnectAsync(transport);
        HandshakeClientDone done = await HandshakeAsync(connection);
        using var key = AuthKey.FromBytes(done.AuthKey);
        Assert.True(Server.AuthKeys.Contains(key.Id));
        Assert.Equal(done.AuthKey, Server.AuthKeys.Find(key.Id, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Keys_and_the_rsa_key_survive_a_restart()
    {
        long fingerprint = Server.PublicKey.Fingerprint;
        HandshakeClientDone done;
        await using (ITestTransport connection = await ConnectAsync("tcp-intermediate"))
        {
            done = await HandshakeAsync(connection);
        }

        await Server.RestartAsync();
        using var key = AuthKey.FromBytes(done.AuthKey);
        Assert.Equal(fingerprint, Server.PublicKey.Fingerprint);
        Assert.Equal(done.AuthKey, Server.AuthKeys.Find(key.Id, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Server_info_publishes_the_pinned_key_and_the_private_key_file_is_owner_only()
    {
        using var http = new HttpClient { BaseAddress = Server.HttpBase };
        using JsonDocument info = JsonDocument.Parse(await http.GetStringAsync(new Uri("/server-info", UriKind.Relative)));
        JsonElement key = info.RootElement.GetProperty("rsaKeys")[0];
        Assert.Equal(Server.PublicKey.Fingerprint, key.GetProperty("fingerprintSigned").GetInt64());
        Assert.Equal(Server.PublicKey.Fingerprint, RsaPublicKey.FromPem(key.GetProperty("pem").GetString()!).Fingerprint);
        string pem = await http.GetStringAsync(new Uri("/server-key.pem", UriKind.Relative));
        Assert.Equal(Server.PublicKey.Fingerprint, RsaPublicKey.FromPem(pem).Fingerprint);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite,
                File.GetUnixFileMode(Path.Combine(Server.DataDirectory, "server-key.pem")));
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_encrypted_message_for_an_unknown_key_gets_minus_404(string transport)
    {
        byte[] packet = new byte[24 + 64];
        Random.Shared.NextBytes(packet);
        if (transport == "http")
        {
            await using var http = new HttpTestTransport(Server.HttpBase);
            (int status, byte[] body) = await http.PostAsync(packet);
            Assert.Equal((404, -404), (status, BinaryPrimitives.ReadInt32LittleEndian(body)));
            return;
        }

        await using ITestTransport connection = await ConnectAsync(transport);
        Assert.Equal(-404, BinaryPrimitives.ReadInt32LittleEndian(await connection.RoundTripAsync(packet)));
    }

    [Fact]
    public async Task A_framing_error_closes_the_tcp_connection_and_the_server_stays_up()
    {
        await using (TcpTestTransport connection = await TcpTestTransport.ConnectAsync(Server.TcpPort, TransportFraming.Intermediate))
        {
            await connection.SendRawAsync([0x03, 0x00, 0x00, 0x00]); // a length that is not a multiple of 4
            Assert.Null(await connection.TryReceiveAsync());
        }

        await using (TcpTestTransport oversized = await TcpTestTransport.ConnectAsync(Server.TcpPort, TransportFraming.Intermediate))
        {
            await oversized.SendRawAsync([0x00, 0x00, 0x00, 0x10]); // 256 MiB announced: refused from the header
            Assert.Null(await oversized.TryReceiveAsync());
        }

        await using ITestTransport fresh = await ConnectAsync("tcp-abridged");
        await HandshakeAsync(fresh);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0000000000000000")]
    [InlineData("000000000000000000000000000000000500000001020304")]
    [InlineData("0000000000000000040000000000000004000000efbeadde")]
    public async Task Malformed_http_bodies_get_404_never_500(string hex)
    {
        await using var http = new HttpTestTransport(Server.HttpBase);
        (int status, byte[] body) = await http.PostAsync(Convert.FromHexString(hex));
        Assert.Equal(404, status);
        Assert.Equal(-404, BinaryPrimitives.ReadInt32LittleEndian(body));
    }

    [Fact]
    public async Task An_oversized_http_body_is_refused_with_413()
    {
        await using var http = new HttpTestTransport(Server.HttpBase);
        (int status, _) = await http.PostAsync(new byte[(1 << 20) + 1]);
        Assert.Equal(413, status);
    }

    private async Task<ITestTransport> ConnectAsync(string transport) => transport switch
    {
        "tcp-abridged" => await TcpTestTransport.ConnectAsync(Server.TcpPort, TransportFraming.Abridged),
        "tcp-intermediate" => await TcpTestTransport.ConnectAsync(Server.TcpPort, TransportFraming.Intermediate),
        "tcp-padded-intermediate" => await TcpTestTransport.ConnectAsync(Server.TcpPort, TransportFraming.PaddedIntermediate),
        "tcp-full" => await TcpTestTransport.ConnectAsync(Server.TcpPort, TransportFraming.Full),
        "websocket" => await WebSocketTestTransport.ConnectAsync(Server.HttpPort),
        _ => new HttpTestTransport(Server.HttpBase),
    };

    private Task<HandshakeClientDone> HandshakeAsync(ITestTransport transport) => ClientFlows.HandshakeAsync(transport, Server.PublicKey);
}
