namespace Testbed.Soak;

/// <summary>Samples a process every 250 ms while an attack runs and keeps the highest RSS and descriptor count seen.</summary>
internal sealed class PeakSampler : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private double _rss;
    private int _descriptors;
    private int _sockets;

    public PeakSampler(int processId, Gauge start)
    {
        (_rss, _descriptors, _sockets) = (start.RssMiB, start.Descriptors, start.Sockets);
        _loop = SampleAsync(processId);
    }

    /// <summary>The highest values so far.</summary>
    public Gauge Peak => new(Volatile.Read(ref _rss), Volatile.Read(ref _descriptors), Volatile.Read(ref _sockets));

    private async Task SampleAsync(int processId)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (ProcessGauge.Read(processId) is { } now)
                {
                    Volatile.Write(ref _rss, Math.Max(_rss, now.RssMiB));
                    Volatile.Write(ref _descriptors, Math.Max(_descriptors, now.Descriptors));
                    Volatile.Write(ref _sockets, Math.Max(_sockets, now.Sockets));
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The attack is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
