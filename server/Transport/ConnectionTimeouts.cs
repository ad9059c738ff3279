namespace Testbed.Server.Transport;

/// <summary>
/// The timeouts of TCP and WebSocket connections (docs/server.md, "Connections under attack"). Kestrel times out HTTP
/// requests itself (headers, bodies, keep-alive); MTProto streams had none, so idle, half-sent and trickling
/// connections were held for ever (issue 13: slowloris).
/// </summary>
/// <param name="HandshakeStep">Until a key is proven: accept to the first complete packet, and between packets.</param>
/// <param name="Idle">Once a key is proven: between complete packets.</param>
/// <param name="MinFrameBytesPerSecond">While a frame is incomplete, over each <see cref="RateWindow"/>.</param>
internal sealed record ConnectionTimeouts(TimeSpan HandshakeStep, TimeSpan Idle, int MinFrameBytesPerSecond)
{
    /// <summary>How long a frame's data rate is judged over (Kestrel's grace period for body rates is 5 s too).</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(5);

    /// <summary>The longest idle allowance a client's ping_delay_disconnect can ask for.</summary>
    public static readonly TimeSpan MaxClientDelay = TimeSpan.FromHours(1);

    /// <summary>The timeouts the settings name.</summary>
    public static ConnectionTimeouts From(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ConnectionTimeouts(TimeSpan.FromSeconds(settings.HandshakeStepSeconds), TimeSpan.FromSeconds(settings.IdleSeconds),
            settings.MinFrameBytesPerSecond);
    }
}
