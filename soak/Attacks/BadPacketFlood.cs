using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using Testbed.Protocol.Transport;

namespace Testbed.Soak.Attacks;

/// <summary>
/// Encrypted-looking packets under auth_key_ids the server never issued, from 127.0.0.2 over TCP (60 %), WebSocket
/// (30 %) and HTTP (10 %): each is one known security event, unknown_auth_key (issue 13, finding 3: a 185-byte event
/// and up to 609 bytes of stdout per packet). The server's logs must stay under 1 MB all told, and the events it
/// records for the address — full lines and folded counts — must add up to the packets sent.
/// </summary>
internal sealed class BadPacketFlood : IAttack
{
    private const string Event = "unknown_auth_key";
    private const long LogBudget = 1_000_000;
    private const int PacketLength = 72; // auth_key_id, msg_key, and 48 bytes that never get decrypted
    private const int FramesPerWrite = 500;
    private const int TcpConnections = 4, WebSockets = 2, HttpWorkers = 8;
    private static readonly TimeSpan AnswerPatience = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan FoldPatience = TimeSpan.FromSeconds(20); // a fold window (10 s) and then some

    private long _sent;

    public string Name => "bad-packet-flood";

    public bool IsSlowloris => false;

    public string Size(SoakScale scale) => $"{scale.BadPackets:N0} packets, unknown auth_key_id (TCP/WS/HTTP 60/30/10 %)";

    public async Task RunAsync(AttackContext context, CancellationToken cancel)
    {
        int total = context.Scale.BadPackets, tcp = total * 6 / 10, webSocket = total * 3 / 10, http = total - tcp - webSocket;
        long[] sent = await Task.WhenAll(
            Task.WhenAll(Shares(tcp, TcpConnections).Select(n => OverTcpAsync(context, n, cancel))).ContinueWith(t => t.Result.Sum(), TaskScheduler.Default),
            Task.WhenAll(Shares(webSocket, WebSockets).Select(n => OverWebSocketAsync(context, n, cancel))).ContinueWith(t => t.Result.Sum(), TaskScheduler.Default),
            OverHttpAsync(context, http, cancel));
        _sent = sent.Sum();
        context.Note($"sent {sent[0]:N0} TCP, {sent[1]:N0} WS, {sent[2]:N0} HTTP");
        string dataDirectory = context.Server.DataDirectory;
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        patience.CancelAfter(FoldPatience);
        while (SecurityLogTally.Count(dataDirectory, Event, AttackSockets.First.ToString()) < _sent && !patience.IsCancellationRequested)
        {
            await Task.Delay(500, CancellationToken.None);
        }
    }

    public void JudgeAfterStop(AttackContext context)
    {
        string dataDirectory = context.Server.DataDirectory;
        long logBytes = SecurityLogTally.Bytes(dataDirectory) + context.Server.OutputBytes;
        long counted = SecurityLogTally.Count(dataDirectory, Event, AttackSockets.First.ToString());
        context.Note($"logs {logBytes / 1e6:0.00} MB");
        context.Check(logBytes < LogBudget, $"logs {logBytes / 1e6:0.0} MB ≥ 1 MB");
        context.Check(counted == _sent, $"{counted:N0} {Event} events counted for {_sent:N0} packets");
    }

    private static IEnumerable<int> Shares(int total, int parts) => Enumerable.Range(0, parts).Select(i => (total / parts) + (i < total % parts ? 1 : 0));

    /// <summary>An intermediate frame of a packet under a fresh random auth_key_id (never 0: that is an unencrypted message).</summary>
    private static void WriteFrame(Span<byte> frame)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame, PacketLength);
        Random.Shared.NextBytes(frame.Slice(4, PacketLength));
        frame[4] |= 1;
    }

    /// <summary>Writes of up to 500 frames (and how many), the first preceded by the intermediate marker.</summary>
    private static IEnumerable<(byte[] Bytes, int Frames)> Batches(int packets)
    {
        byte[] marker = FramingDetector.Marker(TransportFraming.Intermediate).ToArray();
        for (int done = 0, first = 1; done < packets; first = 0)
        {
            int frames = Math.Min(FramesPerWrite, packets - done);
            byte[] batch = new byte[(first * marker.Length) + (frames * (4 + PacketLength))];
            marker.AsSpan(0, first * marker.Length).CopyTo(batch);
            for (int i = 0; i < frames; i++)
            {
                WriteFrame(batch.AsSpan((first * marker.Length) + (i * (4 + PacketLength)), 4 + PacketLength));
            }

            done += frames;
            yield return (batch, frames);
        }
    }

    /// <summary>Sends over one TCP connection, reading the -404 answers meanwhile (a client that does not read is cut off), and waits for them all.</summary>
    private static async Task<long> OverTcpAsync(AttackContext context, int packets, CancellationToken cancel)
    {
        using Socket? socket = await AttackSockets.ConnectAsync(AttackSockets.First, context.Server.TcpPort, cancel);
        if (socket is null)
        {
            return 0;
        }

        long answered = 0;
        async Task ReadAnswersAsync()
        {
            byte[] buffer = new byte[64 * 1024];
            int read;
            try
            {
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    Interlocked.Add(ref answered, read);
                }
            }
            catch (SocketException)
            {
                // The connection is gone: PacedAsync sees the reader done.
            }
        }

        Task reading = ReadAnswersAsync();
        return await PacedAsync(context, "TCP connection", Batches(packets), batch => socket.SendAsync(batch, SocketFlags.None, cancel).AsTask(),
            () => Interlocked.Read(ref answered) / 8, reading, cancel); // -404: 4 bytes, framed
    }

    private static async Task<long> OverWebSocketAsync(AttackContext context, int packets, CancellationToken cancel)
    {
        using var sockets = new AttackWebSockets();
        using ClientWebSocket? socket = await sockets.ConnectAsync(AttackSockets.First, context.Server.HttpPort, cancel);
        if (socket is null)
        {
            return 0;
        }

        long answers = 0;
        async Task ReadAnswersAsync()
        {
            byte[] buffer = new byte[4096];
            try
            {
                while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
                {
                    Interlocked.Increment(ref answers); // one message per packet the server sends
                }
            }
            catch (WebSocketException)
            {
                // The connection is gone: PacedAsync sees the reader done.
            }
        }

        Task reading = ReadAnswersAsync();
        return await PacedAsync(context, "WebSocket", Batches(packets),
            batch => socket.SendAsync(batch, WebSocketMessageType.Binary, endOfMessage: true, cancel), () => Interlocked.Read(ref answers), reading, cancel);
    }

    /// <summary>
    /// Sends batch after batch, each once the server has answered every packet before it: the server queues at most
    /// 1 024 answers for a connection and cuts off a client that falls behind, and a packet it never read is no event.
    /// If the server closes the connection, only the packets it answered count as sent. Returns the packets sent.
    /// </summary>
    private static async Task<long> PacedAsync(AttackContext context, string connection, IEnumerable<(byte[] Bytes, int Frames)> batches,
        Func<byte[], Task> send, Func<long> answered, Task reading, CancellationToken cancel)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        patience.CancelAfter(AnswerPatience);
        long sent = 0;
        foreach ((byte[] batch, int frames) in batches)
        {
            try
            {
                await send(batch);
            }
            catch (Exception e) when (e is SocketException or WebSocketException or IOException)
            {
                break;
            }

            sent += frames;
            while (answered() < sent && !reading.IsCompleted && !patience.IsCancellationRequested)
            {
                await Task.Delay(10, CancellationToken.None);
            }
        }

        await Task.WhenAny(reading, Task.Delay(100, CancellationToken.None));
        if (reading.IsCompleted)
        {
            context.Note($"the server closed a flooding {connection} after {answered():N0} answers");
            return Math.Min(sent, answered());
        }

        return sent;
    }

    private static async Task<long> OverHttpAsync(AttackContext context, int packets, CancellationToken cancel)
    {
        using var client = new HttpClient(LoopbackHandler.From(AttackSockets.First)) { Timeout = TimeSpan.FromSeconds(10) };
        var uri = new Uri($"http://127.0.0.1:{context.Server.HttpPort}/api");
        long sent = 0;
        await Parallel.ForAsync(0, packets, new ParallelOptions { MaxDegreeOfParallelism = HttpWorkers }, async (_, _) =>
        {
            byte[] frame = new byte[4 + PacketLength];
            WriteFrame(frame);
            using var body = new ByteArrayContent(frame, 4, PacketLength);
            try
            {
                using HttpResponseMessage response = await client.PostAsync(uri, body, cancel);
                Interlocked.Increment(ref sent);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not delivered, or not answered (or the attack's time is up): not counted as sent.
            }
        });
        return sent;
    }

}
