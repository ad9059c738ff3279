using BenchmarkDotNet.Attributes;
using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Bench;

/// <summary>
/// Encrypted ping round trips through the reference server (client encrypts ping, server decrypts, checks, answers
/// pong, client decrypts) against a plain echo of the same packets on the same transport stack, in the same run,
/// with 1 and 64 concurrent sessions (each its own auth key and connection). Time per round trip; round trips per
/// second are 1 / that for one session and <see cref="RoundTrips"/> / (time per invocation) under concurrency.
/// </summary>
public class ServerRoundTripBenchmarks
{
    private const int RoundTrips = 512;

    private BenchServer _server = null!;
    private EchoServer _echo = null!;
    private Session[] _encrypted = [];
    private (IPacketTransport Transport, byte[] Packet)[] _plain = [];

    [Params("tcp", "websocket")]
    public string Transport { get; set; } = "tcp";

    [Params(1, 64)]
    public int Sessions { get; set; } = 1;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips, Description = "plain echo")]
    public Task PlainEcho() => Task.WhenAll(_plain.Select(p => EchoLoopAsync(p.Transport, p.Packet, RoundTrips / Sessions)));

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "encrypted ping -> pong")]
    public Task EncryptedPing() => Task.WhenAll(_encrypted.Select(s => s.PingLoopAsync(RoundTrips / Sessions)));

    private async Task SetupAsync()
    {
        _server = await BenchServer.StartAsync();
        _echo = await EchoServer.StartAsync();
        _encrypted = await Task.WhenAll(Enumerable.Range(0, Sessions).Select(async _ =>
        {
            IPacketTransport transport = await ConnectAsync(_server.TcpPort, _server.HttpPort, "/apiws");
            var handshake = new Testbed.Protocol.Handshake.HandshakeClient([_server.PublicKey]);
            Session session = await Session.CreateAsync(transport, handshake);
            await session.PingLoopAsync(2); // new_session_created out of the way
            return session;
        }));
        _plain = await Task.WhenAll(_encrypted.Select(async s =>
            (await ConnectAsync(_echo.TcpPort, _echo.HttpPort, "/echo"), s.SamplePacket())));
    }

    private async Task CleanupAsync()
    {
        foreach (Session session in _encrypted)
        {
            await session.DisposeAsync();
        }

        foreach ((IPacketTransport transport, _) in _plain)
        {
            await transport.DisposeAsync();
        }

        await _server.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private async Task<IPacketTransport> ConnectAsync(int tcpPort, int httpPort, string webSocketPath) => Transport == "tcp"
        ? await TcpPacketTransport.ConnectAsync("127.0.0.1", tcpPort, TransportFraming.Intermediate)
        : await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{httpPort}{webSocketPath}"));

    private static async Task EchoLoopAsync(IPacketTransport transport, byte[] packet, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await transport.SendAsync(packet);
            _ = await transport.ReceiveAsync() ?? throw new IOException("echo closed");
        }
    }

    /// <summary>One client: an auth key, a session on it, and a connection.</summary>
    private sealed class Session(IPacketTransport transport, AuthKey key, ClientSession session) : IAsyncDisposable
    {
        private readonly byte[] _ping = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["ping"], 1L));

        public static async Task<Session> CreateAsync(IPacketTransport transport, Testbed.Protocol.Handshake.HandshakeClient handshake)
        {
            long msgId = 4;
            async Task<byte[]> Step(byte[] query)
            {
                await transport.SendAsync(UnencryptedMessage.Build(msgId += 4, query));
                byte[] answer = await transport.ReceiveAsync() ?? throw new IOException("closed");
                return answer.AsSpan(UnencryptedMessage.HeaderSize).ToArray();
            }

            byte[] setDh = handshake.OnServerDhParams(await Step(handshake.OnResPq(await Step(handshake.Start()))));
            var done = (Testbed.Protocol.Handshake.HandshakeClientDone)handshake.OnDhGen(await Step(setDh));
            var key = AuthKey.FromBytes(done.AuthKey);
            var session = new ClientSession(key, done.ServerSalt);
            session.MsgIds.ClockOffset = done.ServerTimeOffset;
            return new Session(transport, key, session);
        }

        /// <summary>A ping packet as the session would send it: the echo baseline sends exactly this many bytes.</summary>
        public byte[] SamplePacket() => session.Encrypt(_ping, contentRelated: true).Wire;

        public async Task PingLoopAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                await transport.SendAsync(session.Encrypt(_ping, contentRelated: true).Wire);
                byte[] answer = await transport.ReceiveAsync() ?? throw new IOException("server closed");
                if (!session.TryDecrypt(answer, out _, out _))
                {
                    throw new InvalidDataException($"the answer does not decrypt ({answer.Length} bytes)");
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            key.Dispose();
            await transport.DisposeAsync();
        }
    }
}
