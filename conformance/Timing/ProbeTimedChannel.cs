using System.Diagnostics;
using Testbed.Conformance.Harness;

namespace Testbed.Conformance.Timing;

/// <summary>
/// A timed channel over the conformance probe's transport, for targets reached over WebSocket or HTTP, where
/// <see cref="SocketTimedChannel"/> cannot go. The probe's asynchronous path adds its own jitter (a continuation, the
/// thread pool, for HTTP a request per packet), so a TCP target measures finer; the reports say which was used.
/// </summary>
internal sealed class ProbeTimedChannel(Probe probe) : ITimedChannel
{
    public long Exchange(byte[] packet, out int answer)
    {
        long started = Stopwatch.GetTimestamp();
        Reply reply = probe.ExchangeAsync(packet, CancellationToken.None).GetAwaiter().GetResult();
        long elapsed = Stopwatch.GetTimestamp() - started;
        if (reply.Closed || reply.TimedOut)
        {
            throw new IOException(reply.ToString());
        }

        answer = reply.TransportError != 0 ? reply.TransportError : reply.Messages.Count;
        return elapsed * 1_000_000_000 / Stopwatch.Frequency;
    }

    public void Dispose()
    {
        // The probe belongs to the case that opened it.
    }
}
