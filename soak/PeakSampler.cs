namespace Testbed.Soak;

/// <summary>Samples a process every 250 ms while an attack runs and keeps the highest RSS and descriptor count seen.</summary>
internal sealed class PeakSampler : IAsyncDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(250);

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private double _rss;
    private int _descriptors;

    public PeakSampler(int processId, Gauge start)
    {
        (_rss, _descriptors) = (start.RssMiB, start.Descriptors);
        _loop = SampleAsync(processId);
    }

    /// <summary>The highest values so far.</summary>
    public Gauge Peak => new(Volatile.Read(ref _rss), Volatile.Read(ref _descriptors));

    private async Task SampleAsync(int processId)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default))
        {
            if (ProcessGauge.Read(processId) is { } now)
            {
                Volatile.Write(ref _rss, Math.Max(_rss, now.RssMiB));
                Volatile.Write(ref _descriptors, Math.Max(_descriptors, now.Descriptors));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
