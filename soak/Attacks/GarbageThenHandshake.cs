using System.Buffers.Binary;
using System.Net.Sockets;
using Testbed.Protocol.Transport;

namespace Testbed.Soak.Attacks;

/// <summary>
/// 1 000 garbage unencrypted packets (auth_key_id 0, then noise) from 127.0.0.2, then a real client handshakes from
/// the same address (issue 13, finding 5: about 60 such packets used up the address's handshake allowance and the real
/// client got -429). The real handshake and its ping must succeed.
/// </summary>
internal sealed class GarbageThenHandshake : IAttack
{
    private const int PacketLength = 40;
    private static readonly TimeSpan AnswerPatience = TimeSpan.FromSeconds(30);

    public string Name => "garbage-then-handshake";

    public bool IsSlowloris => false;

    public string Size(SoakScale scale) => $"{SoakScale.GarbagePackets:N0} garbage unencrypted packets, then a handshake (one address)";

    public async Task RunAsync(AttackContext context, CancellationToken cancel)
    {
        using (Socket? socket = await AttackSockets.ConnectAsync(AttackSockets.First, context.Server.TcpPort, cancel))
        {
            context.Check(socket is not null, "the garbage connection was not accepted");
            if (socket is not null)
            {
                await SendGarbageAsync(socket, cancel);
            }
        }

        (bool ok, string? failure) = await new VictimProbe(context.Server, AttackSockets.First).AttemptAsync(handshake: true);
        context.Check(ok, $"a real handshake from {AttackSockets.First} failed: {failure}");
    }

    /// <summary>Sends the packets in one write and waits for an answer to each (8 bytes: a framed error code) or the connection's end.</summary>
    private static async Task SendGarbageAsync(Socket socket, CancellationToken cancel)
    {
        int frame = 4 + PacketLength;
        byte[] garbage = [.. FramingDetector.Marker(TransportFraming.Intermediate), .. new byte[SoakScale.GarbagePackets * frame]];
        for (int i = 0; i < SoakScale.GarbagePackets; i++)
        {
            Span<byte> packet = garbage.AsSpan(4 + (i * frame), frame);
            BinaryPrimitives.WriteInt32LittleEndian(packet, PacketLength);
            Random.Shared.NextBytes(packet[12..]); // auth_key_id 0: unencrypted; the rest is noise
        }

        await socket.SendAsync(garbage, SocketFlags.None, cancel);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        patience.CancelAfter(AnswerPatience);
        byte[] buffer = new byte[64 * 1024];
        try
        {
            for (long answered = 0; answered < 8L * SoakScale.GarbagePackets;)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, patience.Token);
                if (read == 0)
                {
                    return;
                }

                answered += read;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            // Not every packet answered in time: the handshake after it tells what matters.
        }
    }
}
