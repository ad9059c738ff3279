using System.Net.Sockets;
using Testbed.Protocol.Transport;

namespace Testbed.Server.Tests;

/// <summary>Obfuscated connections (docs/protocol.md §6.1) the library client does not make: a bad tag, a split init.</summary>
public sealed class ObfuscatedTransportTests
{
    [Fact]
    public async Task An_init_with_an_unknown_tag_closes_the_connection_and_is_logged()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        // A header whose decrypted tag is 01 02 03 04: seal an init carrying that tag.
        byte[] plain = new byte[ObfuscatedInit.Length];
        System.Security.Cryptography.RandomNumberGenerator.Fill(plain);
        plain[0] = 0x11; // neither a plain marker nor a reserved first int
        plain[4] = 0x22; // a second int that is not zero
        new byte[] { 1, 2, 3, 4 }.CopyTo(plain, 56);
        byte[] header = new byte[ObfuscatedInit.Length];
        ObfuscatedInit.Seal(plain, header).Dispose();

        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.TcpPort);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(header);
        int read = await stream.ReadAsync(new byte[16]).AsTask().WaitAsync(Clients.Patience);
        Assert.Equal(0, read);
        string log = await SecurityEvents.ReadWhenAsync(server.DataDirectory, t => t.Contains("unknown protocol tag", StringComparison.Ordinal));
        Assert.Contains("\"connection_closed\"", log, StringComparison.Ordinal);
        Assert.Contains("unknown protocol tag 01020304", log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(63)]
    public async Task An_init_that_arrives_in_pieces_is_read_whole(int firstPiece)
    {
        await using RunningServer server = await RunningServer.StartAsync();
        byte[] header = new byte[ObfuscatedInit.Length];
        using ObfuscationCiphers ciphers = ObfuscatedInit.Create(TransportFraming.Intermediate, -2, header);
        byte[] frame = new FrameWriter(TransportFraming.Intermediate).Frame(Testbed.Protocol.Envelope.UnencryptedMessage.Build(4,
            ReqPq()));
        ciphers.Send.Transform(frame);

        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync("127.0.0.1", server.TcpPort);
        NetworkStream stream = client.GetStream();
        byte[] all = [.. header, .. frame];
        await stream.WriteAsync(all.AsMemory(0, firstPiece));
        await Task.Delay(50); // lets the first piece arrive on its own (the test passes either way)
        await stream.WriteAsync(all.AsMemory(firstPiece));

        byte[] answer = new byte[4];
        await stream.ReadExactlyAsync(answer).AsTask().WaitAsync(Clients.Patience);
        ciphers.Receive.Transform(answer);
        int length = BitConverter.ToInt32(answer);
        Assert.InRange(length, 40, 1024); // resPQ, framed in intermediate and decrypted
    }

    /// <summary>As a browser may send it: the init in a message of its own, then a frame cut across two messages.</summary>
    [Fact]
    public async Task On_apiws_each_binary_message_is_the_next_piece_of_one_stream()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        byte[] header = new byte[ObfuscatedInit.Length];
        using ObfuscationCiphers ciphers = ObfuscatedInit.Create(TransportFraming.Abridged, 1, header);
        byte[] frame = new FrameWriter(TransportFraming.Abridged).Frame(Testbed.Protocol.Envelope.UnencryptedMessage.Build(4, ReqPq()));
        ciphers.Send.Transform(frame);

        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.AddSubProtocol("binary");
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.HttpPort}/apiws"), CancellationToken.None);
        foreach (byte[] message in new[] { header, frame[..7], frame[7..] })
        {
            await socket.SendAsync(message, System.Net.WebSockets.WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        }

        byte[] answer = new byte[256];
        using var timeout = new CancellationTokenSource(Clients.Patience);
        System.Net.WebSockets.WebSocketReceiveResult result = await socket.ReceiveAsync(answer, timeout.Token);
        ciphers.Receive.Transform(answer.AsSpan(0, result.Count));
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, result.MessageType);
        Assert.Equal((result.Count - 1) / 4, answer[0]); // one abridged frame: its length in words, then resPQ
        Assert.Equal(0L, BitConverter.ToInt64(answer, 1)); // an unencrypted message: auth_key_id 0
    }

    private static byte[] ReqPq() =>
        Protocol.Tl.TlCodec.MTProto.Serialize(new Protocol.Tl.TlObject(Protocol.Tl.TlSchema.MTProto["req_pq_multi"], new byte[16]));
}
