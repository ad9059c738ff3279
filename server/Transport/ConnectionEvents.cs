namespace Testbed.Server.Transport;

/// <summary>The log line and security event for a connection the server closed (framing error, overflow, timer).</summary>
internal static class ConnectionEvents
{
    public static void Closed(SecurityEventLog events, ILogger log, PacketOrigin origin, string connectionId, string? reason)
    {
        if (reason is null)
        {
            return; // the client closed it: nothing to report
        }

        if (events.Write("connection_closed", origin, ("reason", reason)))
        {
            ServerLog.ConnectionClosed(log, origin.Transport, connectionId, reason);
        }
    }
}
