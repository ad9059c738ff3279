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
        int count = context.Scale.IdleConnections, next = -1, opened = 0;
        async Task Worker()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < count && !cancel.IsCancellationRequested)
            {
                if (await sockets.ConnectAsync(AttackSockets.Spread(index), context.Server.HttpPort, cancel) is ClientWebSocket socket)
                {
                    Interlocked.Increment(ref opened);
                    context.Ledger.Track(socket, () => AttackWebSockets.UntilClosedAsync(socket));
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(Worker, CancellationToken.None)));
        context.Note($"{opened} of {count} WebSockets opened");
        await context.Ledger.WaitForClosesAsync(context.Scale.CloseLimit, cancel);
    }
}
