using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Testbed.Protocol.Transport;

namespace Testbed.Soak.Attacks;

/// <summary>
/// Connections over MTProto TCP that never complete a packet (issue 13, findings 1 and 2): they send a fixed opening
/// (nothing, the framing marker and half a length, or a 1 MiB frame but for its last byte) and optionally trickle one
/// more byte a second. A server must close them within its handshake step (docs/soak.md).
/// </summary>
internal sealed class TcpSlowloris(string name, string what, Func<SoakScale, int> count, Func<int, IPAddress> from, byte[] opening, bool trickles)
    : IAttack
{
    private const int FrameLength = 1 << 20;
    private static readonly TimeSpan TricklePeriod = TimeSpan.FromSeconds(1);

    /// <summary>Idle sockets from many addresses (200 each) past the server's descriptor limit.</summary>
    public static TcpSlowloris DescriptorExhaustion() =>
        new("descriptor-exhaustion", "idle TCP from many addresses", s => s.DescriptorAttackSockets, AttackSockets.Spread, [], trickles: false);

    /// <summary>Idle sockets all from 127.0.0.2.</summary>
    public static TcpSlowloris PerAddressFlood() =>
        new("per-address-flood", "idle TCP from one address", s => s.PerAddressFlood, _ => AttackSockets.First, [], trickles: false);

    /// <summary>Idle sockets, spread under the per-address cap so that only the timeout can end them.</summary>
    public static TcpSlowloris IdleTcp() =>
        new("idle-tcp", "idle TCP", s => s.IdleConnections, AttackSockets.Spread, [], trickles: false);

    /// <summary>The intermediate marker and two of the four length bytes.</summary>
    public static TcpSlowloris HalfHeader() =>
        new("half-header", "marker + half a frame header", s => s.HalfHeaders, AttackSockets.Spread, [.. Marker, 0x00, 0x00], trickles: false);

    /// <summary>A 1 MiB frame's header, then a byte a second.</summary>
    public static TcpSlowloris Trickle() =>
        new("trickle", "1 MiB frame at 1 B/s", s => s.Trickles, AttackSockets.Spread, [.. Marker, .. Header], trickles: true);

    /// <summary>A 1 MiB frame without its last byte.</summary>
    public static TcpSlowloris StalledFrames() =>
        new("stalled-frames", "1 MiB frame less 1 byte, stalled", s => s.StalledFrames, AttackSockets.Spread,
            [.. Marker, .. Header, .. new byte[FrameLength - 1]], trickles: false);

    public string Name => name;

    public bool IsSlowloris => true;

    public string Size(SoakScale scale) => $"{count(scale):N0} × {what}";

    public async Task RunAsync(AttackContext context, CancellationToken cancel)
    {
        var open = new ConcurrentBag<Socket>();
        using var holding = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task trickle = trickles ? TrickleAsync(open, holding.Token) : Task.CompletedTask;
        await AttackSockets.OpenManyAsync(context, count(context.Scale), from, async (socket, token) =>
        {
            open.Add(socket);
            if (opening.Length > 0)
            {
                await socket.SendAsync(opening, SocketFlags.None, token);
            }
        }, cancel);
        await context.Ledger.WaitForClosesAsync(context.Scale.CloseLimit, cancel);
        await holding.CancelAsync();
        await trickle;
    }

    /// <summary>One byte on every open connection each second, until the attack is over.</summary>
    private static async Task TrickleAsync(ConcurrentBag<Socket> open, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TricklePeriod);
        byte[] one = [0x5a];
        while (await timer.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
        {
            foreach (Socket socket in open)
            {
                try
                {
                    socket.Send(one, SocketFlags.None);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Closed by the server: the ledger has seen it.
                }
            }
        }
    }

    private static ReadOnlySpan<byte> Marker => FramingDetector.Marker(TransportFraming.Intermediate);

    private static byte[] Header
    {
        get
        {
            byte[] header = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(header, FrameLength);
            return header;
        }
    }
}
