using System.Net.WebSockets;

namespace Testbed.Soak.Attacks;

/// <summary>
/// WebSockets to /apiws that are opened and then say nothing (issue 13, finding 2: 2 000 of them open after 600 s),
/// spread over addresses under the per-address cap. A server must close them within its handshake step.
/// </summary>
internal sealed class IdleWebSocket : IAttack
{
    private const int Concurrency = 32;

    public string Name => "idle-websocket";

    public bool IsSlowloris => true;

    public string Size(SoakScale scale) => $"{scale.IdleConnections:N0} × idle WebSocket";

    public async Task RunAsync(AttackContext context, CancellationToken cancel)
    {
        using var sockets = new AttackWebSockets();
        int count = context.Scale.IdleConnections, opened = 0;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (index, _) =>
        {
            if (await sockets.ConnectAsync(AttackSockets.Spread(index), context.Server.HttpPort, cancel) is ClientWebSocket socket)
            {
                Interlocked.Increment(ref opened);
                context.Ledger.Track(socket, () => AttackWebSockets.UntilClosedAsync(socket));
            }
        });
        context.Note($"{opened} of {count} WebSockets opened");
        await context.Ledger.WaitForClosesAsync(context.Scale.CloseLimit, cancel);
    }
}
