using System.Net.Sockets;
using System.Net.WebSockets;
using Testbed.Protocol.Client;

namespace Testbed.Conformance.Harness;

/// <summary>
/// Raised when a target cannot be used at all (nothing to judge: exit 2). Its message is the one line the user sees:
/// the address tried, what happened and what to check.
/// </summary>
internal sealed class TargetProblem : Exception
{
    public TargetProblem(string message)
        : base(message)
    {
    }

    public TargetProblem()
    {
    }

    public TargetProblem(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The line for a failure to reach or talk to <paramref name="address"/>, whatever layer it came from.</summary>
    public static TargetProblem From(Uri address, Exception failure)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(failure);
        string where = address.ToString().TrimEnd('/');
        string line = failure switch
        {
            _ when IsConnectionRefused(failure) => $"{where}: connection refused: is the server running, and listening on that address and port?",
            SocketException s => $"{where}: cannot connect ({s.Message})",
            HttpRequestException h => $"{where}: the HTTP request failed ({h.Message})",
            WebSocketException w => $"{where}: the WebSocket upgrade failed ({w.Message}): check the path (the reference server serves "
                + "/apiws) and that the port is the server's HTTP port",
            InvalidDataException i when address.Scheme == "tcp" => $"{where}: the answer is not MTProto over TCP ({i.Message}): is this an HTTP "
                + "port? Use http://HOST:PORT/api or ws://HOST:PORT/apiws there",
            InvalidDataException i => $"{where}: the answer is not an MTProto packet ({i.Message})",
            TransportErrorException t => $"{where}: the server refused the handshake with {TransportErrors.Describe(t.Code)}"
                + (t.Code == TransportErrors.RateLimited ? ": its per-address handshake budget is spent (a flood case run less than a minute ago does "
                    + "that); wait and run again, or raise its limit" : ""),
            IOException => $"{where}: the server closed the connection during the handshake: check the address, the port "
                + "and --framing",
            TimeoutException => $"{where}: no answer to the handshake within {HandshakeTimeout.TotalSeconds:F0} s: is this an MTProto server, "
                + "and the right port and --framing?",
            _ => $"{where}: {failure.Message}",
        };
        return new TargetProblem(line, failure);
    }

    private static bool IsConnectionRefused(Exception? failure) =>
        failure is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || (failure?.InnerException is { } inner && IsConnectionRefused(inner));

    /// <summary>How long the first handshake may take before the target counts as not answering.</summary>
    public static TimeSpan HandshakeTimeout { get; } = TimeSpan.FromSeconds(20);
}
