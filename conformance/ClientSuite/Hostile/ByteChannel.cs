using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// One accepted connection's bytes, whatever carries them: a TCP stream, or the binary messages of a WebSocket at
/// /apiws (docs/protocol.md §6: the same framings run inside either). The hostile server reads and writes MTProto
/// frames through this and never cares which.
/// </summary>
internal abstract class ByteChannel : IAsyncDisposable
{
    /// <summary>"tcp" or "ws".</summary>
    public abstract string Transport { get; }

    /// <summary>Reads some bytes; 0 at the end of the stream.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel);

    /// <summary>Writes bytes (one WebSocket message each).</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancel);

    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Wraps an accepted socket: a connection that opens with <c>GET </c> is a WebSocket upgrade (answered here, with
    /// the <c>binary</c> subprotocol when asked for), anything else is MTProto over TCP. Start holds
    /// the bytes read to tell the two apart, which belong to the MTProto stream when it is TCP.
    /// </summary>
    public static async Task<(ByteChannel Channel, byte[] Start)> AcceptAsync(Socket socket, CancellationToken cancel)
    {
        var stream = new NetworkStream(socket, ownsSocket: true);
        byte[] start = new byte[4];
        int read = 0;
        while (read < start.Length)
        {
            int n = await stream.ReadAsync(start.AsMemory(read), cancel);
            if (n == 0)
            {
                return (new TcpChannel(stream), start[..read]);
            }

            read += n;
        }

        if (!start.AsSpan().SequenceEqual("GET "u8))
        {
            return (new TcpChannel(stream), start);
        }

        string request = await ReadHttpHeadAsync(stream, cancel);
        string? key = Header(request, "Sec-WebSocket-Key");
        bool binary = Header(request, "Sec-WebSocket-Protocol")?.Split(',').Any(p => p.Trim() == "binary") == true;
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Accept: {accept}\r\n{(binary ? "Sec-WebSocket-Protocol: binary\r\n" : "")}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), cancel);
        WebSocket socketOverHttp = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = binary ? "binary" : null,
        });
        return (new WebSocketChannel(socketOverHttp), []);
    }

    private static async Task<string> ReadHttpHeadAsync(NetworkStream stream, CancellationToken cancel)
    {
        var head = new StringBuilder("GET ");
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (head.Length > 16 * 1024 || await stream.ReadAsync(one, cancel) == 0)
            {
                throw new IOException("the WebSocket upgrade request ended early or is over 16 KiB");
            }

            head.Append((char)one[0]);
        }

        return head.ToString();
    }

    private static string? Header(string request, string name) => request.Split("\r\n")
        .Where(line => line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
        .Select(line => line[(name.Length + 1)..].Trim())
        .FirstOrDefault();

    private sealed class TcpChannel(NetworkStream stream) : ByteChannel
    {
        public override string Transport => "tcp";

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel) => stream.ReadAsync(buffer, cancel);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancel) => stream.WriteAsync(bytes, cancel);

        public override ValueTask DisposeAsync() => stream.DisposeAsync();
    }

    private sealed class WebSocketChannel(WebSocket socket) : ByteChannel
    {
        public override string Transport => "ws";

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancel)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cancel);
            return result.MessageType == WebSocketMessageType.Close ? 0 : result.Count;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancel) =>
            socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, cancel);

        public override ValueTask DisposeAsync()
        {
            socket.Abort();
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
