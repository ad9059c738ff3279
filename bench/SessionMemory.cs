using Testbed.Protocol.Client;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Sessions;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Bench;

/// <summary>
/// Memory per idle session, measured in-process: the managed heap after a full collection, before and after
/// <see cref="Keys"/> × 64 sessions each sent one ping and were left idle (their connections closed, as when clients
/// go away). The client-side objects are dropped before measuring, so the difference is what the server keeps.
/// Run: <c>dotnet run -c Release --project bench -- session-memory</c>.
/// </summary>
internal static class SessionMemory
{
    private const int Keys = 16;
    private const int SessionsPerKey = 64;

    public static async Task RunAsync(TextWriter output)
    {
        await using BenchServer server = await BenchServer.StartAsync();
        var keys = new List<(byte[] Key, long Salt, TimeSpan Offset)>();
        for (int i = 0; i < Keys; i++)
        {
            await using MtProtoClient client = await MtProtoClient.ConnectAsync(
                await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Intermediate), server.PublicKey);
            await client.RequestAsync(new TlObject(TlSchema.MTProto["ping"], 0L)); // the key is loaded and cached
            keys.Add((client.AuthKey.Bytes.ToArray(), client.Session.Salt, client.Session.MsgIds.ClockOffset));
        }

        long before = Heap();
        byte[] ping = TlCodec.MTProto.Serialize(new TlObject(TlSchema.MTProto["ping"], 1L));
        foreach ((byte[] keyBytes, long salt, TimeSpan offset) in keys)
        {
            using var key = AuthKey.FromBytes(keyBytes);
            await using TcpPacketTransport transport = await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Intermediate);
            for (int s = 0; s < SessionsPerKey; s++)
            {
                var session = new ClientSession(key, salt);
                session.MsgIds.ClockOffset = offset;
                await transport.SendAsync(session.Encrypt(ping, contentRelated: true).Wire);
                _ = await transport.ReceiveAsync() ?? throw new IOException("server closed");
            }
        }

        await Task.Delay(500); // let the server finish closing the connections
        long after = Heap();
        int sessions = Keys * SessionsPerKey;
        output.WriteLine($"{sessions} idle sessions: {(after - before) / 1024.0:F0} KiB in all, {(after - before) / (double)sessions / 1024.0:F1} KiB per session");
    }

    private static long Heap()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
