using System.Net;
using System.Net.Sockets;
using Testbed.Protocol.Transport;

namespace Testbed.Protocol.Client;

/// <summary>The MTProto TCP transport with a chosen framing (docs/protocol.md §6).</summary>
public sealed class TcpPacketTransport : IPacketTransport
{
    private readonly TcpClient _client;
    private readonly ClientFraming _framing;
    private NetworkStream? _stream;

    // What one read takes from the socket; one reader at a time (the client's receive loop), so one buffer serves
    // every read instead of 64 KiB allocated per packet.
    private readonly byte[] _chunk = new byte[64 * 1024];

    private TcpPacketTransport(TransportFraming framing, TransportObfuscation? obfuscation, int maxPacketLength, IPAddress? localAddress)
    {
        // No Nagle: a packet goes out when written. With Nagle on, a small packet written while the previous one is
        // unacknowledged waits for the peer's delayed ACK, 40 ms on Linux (seen in bench cluster-costs as pings of 43-48 ms).
        _client = localAddress is null ? new TcpClient() : new TcpClient(new IPEndPoint(localAddress, 0));
        _client.NoDelay = true;
        _framing = new ClientFraming(framing, obfuscation, maxPacketLength, bufferSlack: 64);
    }

    /// <summary>
    /// Connects and sends the framing's marker bytes (or, with <paramref name="obfuscation"/>, an obfuscated init
    /// header naming the framing: docs/protocol.md §6.1); from <paramref name="localAddress"/> when given (else the
    /// system's choice): the soak suite speaks as several loopback addresses, since the server counts connections and
    /// handshakes per address.
    /// </summary>
    public static async Task<TcpPacketTransport> ConnectAsync(string host, int port, TransportFraming framing,
        int maxPacketLength = FrameReader.DefaultMaxPayloadLength, IPAddress? localAddress = null, TransportObfuscation? obfuscation = null,
        CancellationToken cancel = default)
    {
        var transport = new TcpPacketTransport(framing, obfuscation, maxPacketLength, localAddress);
        await transport._client.ConnectAsync(host, port, cancel).ConfigureAwait(false);
        transport._stream = transport._client.GetStream();
        await transport._stream.WriteAsync(transport._framing.Opening, cancel).ConfigureAwait(false);
        return transport;
    }

    /// <summary>Writes bytes exactly as given, without framing or obfuscation: for tests of broken framing.</summary>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancel = default) =>
        Stream.WriteAsync(bytes, cancel).AsTask();

    /// <inheritdoc />
    public Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default) =>
        Stream.WriteAsync(_framing.Frame(packet.Span), cancel).AsTask();

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The server's framing is broken.</exception>
    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel = default)
    {
        while (true)
        {
            if (_framing.TakeFrame() is { } payload)
            {
                return payload;
            }

            int read = await Stream.ReadAsync(_chunk, cancel).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            if (!_framing.Append(_chunk.AsSpan(0, read)))
            {
                throw new InvalidDataException("The server sent more than a frame's worth of bytes without completing one.");
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _framing.Dispose();
        return ValueTask.CompletedTask;
    }

    private NetworkStream Stream => _stream ?? throw new InvalidOperationException("Not connected.");
}
