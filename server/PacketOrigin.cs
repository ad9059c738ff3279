using System.Net;

namespace Testbed.Server;

/// <summary>Where a packet came from: the transport and the peer's address (for the event log and rate limits).</summary>
/// <param name="Transport">"tcp", "websocket" or "http".</param>
/// <param name="Address">The peer's IP address, if known.</param>
public readonly record struct PacketOrigin(string Transport, IPAddress? Address)
{
    /// <summary>The address as text for logs, or "unknown".</summary>
    public string AddressText => Address?.ToString() ?? "unknown";
}
