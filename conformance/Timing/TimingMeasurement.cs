using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Timing;

/// <summary>A paired timing run over persistent TCP connections of its own: opens them, samples, closes them.</summary>
internal static class TimingMeasurement
{
    /// <summary>
    /// Samples <paramref name="classes"/> against <paramref name="host"/>:<paramref name="port"/> under
    /// <paramref name="plan"/>, on the plan's number of new connections in <paramref name="framing"/>.
    /// </summary>
    /// <exception cref="IOException">A connection could not be opened, closed, or stopped answering.</exception>
    public static async Task<TimedSamples> SampleOverTcpAsync(string host, int port, TransportFraming framing, LengthOracleClasses classes,
        SamplingPlan plan, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var channels = new List<ITimedChannel>();
        try
        {
            for (int i = 0; i < plan.Connections; i++)
            {
                channels.Add(SocketTimedChannel.Connect(host, port, framing));
            }

            return await PairedSampler.RunOnOwnThreadAsync(channels, $"blocking TCP sockets, {framing} framing, {plan.Connections} connection(s)",
                classes, plan, cancel);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new IOException($"cannot connect to {host}:{port}: {e.Message}", e);
        }
        finally
        {
            channels.ForEach(c => c.Dispose());
        }
    }
}
