using System.Net;
using System.Net.Sockets;

namespace Testbed.Soak;

/// <summary>
/// Attacking TCP connections from loopback addresses other than the probe's 127.0.0.1: 127.0.0.2, 127.0.0.3 … (the
/// whole 127.0.0.0/8 is this host's), bound before connecting, so that the server sees distinct peers.
/// </summary>
internal static class AttackSockets
{
    /// <summary>Connections per address when an attack spreads: under the server's 256 per address.</summary>
    public const int PerAddress = 200;

    private const int Concurrency = 128;
    private const int GiveUpAfterFailures = 500;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan OpeningPatience = TimeSpan.FromSeconds(60);

    /// <summary>The attacker's first address.</summary>
    public static readonly IPAddress First = Attacker(0);

    /// <summary>127.0.0.(2 + <paramref name="index"/>).</summary>
    public static IPAddress Attacker(int index) => new([127, 0, 0, checked((byte)(2 + index))]);

    /// <summary>The address of the <paramref name="connection"/>-th connection when an attack spreads over addresses.</summary>
    public static IPAddress Spread(int connection) => Attacker(connection / PerAddress);

    /// <summary>A TCP connection from <paramref name="from"/>, or null when it is refused or not accepted within 3 s.</summary>
    public static async Task<Socket?> ConnectAsync(IPAddress from, int port, CancellationToken cancel)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Opens <paramref name="count"/> connections (from <paramref name="from"/>(i)), 128 at a time, records each in the
    /// ledger and runs <paramref name="start"/> on it (what the attack sends first). Stops early after 500 failed
    /// connects or 60 s: a server that no longer accepts has been reached. Notes how many opened.
    /// </summary>
    public static async Task<int> OpenManyAsync(AttackContext context, int count, Func<int, IPAddress> from,
        Func<Socket, CancellationToken, Task> start, CancellationToken cancel)
    {
        using var opening = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        opening.CancelAfter(OpeningPatience);
        int opened = 0, failed = 0;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (index, _) =>
        {
            if (Volatile.Read(ref failed) >= GiveUpAfterFailures || opening.IsCancellationRequested)
            {
                return;
            }

            Socket? socket = await ConnectAsync(from(index), context.Server.TcpPort, opening.Token);
            if (socket is null)
            {
                Interlocked.Increment(ref failed);
                return;
            }

            Interlocked.Increment(ref opened);
            context.Ledger.Track(socket, () => UntilClosedAsync(socket));
            try
            {
                await start(socket, opening.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server closed it meanwhile: the ledger has seen that.
            }
        });
        context.Note($"{opened} of {count} connected" + (failed > 0 ? $", {failed} not accepted" : ""));
        return opened;
    }

    /// <summary>Reads (and drops) whatever the server sends until it closes the connection.</summary>
    public static async Task UntilClosedAsync(Socket socket)
    {
        byte[] buffer = new byte[256];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None) > 0)
        {
        }
    }
}
