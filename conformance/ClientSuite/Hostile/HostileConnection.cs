namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>One accepted connection: its number in the case, its framed channel, and a lock that keeps its writes whole.</summary>
internal sealed class HostileConnection(int number, FramedChannel channel) : IAsyncDisposable
{
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly CancellationTokenSource _closed = new();

    public int Number { get; } = number;

    public FramedChannel Channel { get; } = channel;

    /// <summary>Cancelled when the server drops the connection.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Frames and sends a packet; a connection already gone swallows it (the client left, the case goes on).</summary>
    public Task SendAsync(byte[] packet) => WriteAsync(() => Channel.SendAsync(packet, _closed.Token));

    /// <summary>Sends bytes outside any frame (a frame header that announces more than it carries).</summary>
    public Task SendRawAsync(byte[] bytes) => WriteAsync(() => Channel.SendRawAsync(bytes, _closed.Token));

    /// <summary>Drops the connection under the client.</summary>
    public async Task CloseAsync()
    {
        await _closed.CancelAsync();
        await Channel.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _closed.Dispose();
        _writes.Dispose();
    }

    private async Task WriteAsync(Func<ValueTask> write)
    {
        try
        {
            await _writes.WaitAsync(_closed.Token);
            try
            {
                await write();
            }
            finally
            {
                _writes.Release();
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException
            or System.Net.Sockets.SocketException or System.Net.WebSockets.WebSocketException)
        {
            // the client is gone; what it did before is in the log
        }
    }
}
