namespace Testbed.Server.Transport;

/// <summary>
/// Where a session's server messages go: the connection its client last used (docs/protocol.md §3.9). TCP and
/// WebSocket connections carry packets at any time; an HTTP request can carry one answer only, so a session bound to
/// HTTP is woken instead and its waiting request (http_wait) collects what is due.
/// </summary>
internal interface IClientConnection
{
    /// <summary>Identifies the connection: a session seen on a different one re-sends what was not acknowledged.</summary>
    long Id { get; }

    /// <summary>The transport and peer, for the event log.</summary>
    PacketOrigin Origin { get; }

    /// <summary>Whether packets can be sent at any time (TCP, WebSocket) rather than only in an HTTP answer.</summary>
    bool IsStreaming { get; }

    /// <summary>Whether the connection can still carry something to the client.</summary>
    bool IsOpen { get; }

    /// <summary>
    /// Sends a packet: queued on a streaming connection (which closes itself when its queue is full: a client that
    /// does not read must not grow server memory), collected as the answer of an open HTTP request. False when the
    /// connection can no longer carry it.
    /// </summary>
    bool Send(byte[] packet);

    /// <summary>Answers with a transport error (-404, -429, -444) instead of a packet.</summary>
    void SendError(int code);

    /// <summary>Tells a waiting HTTP request that its session has something to send.</summary>
    void Wake();

    /// <summary>
    /// A message decrypted under a known auth key arrived on this connection: its client holds a key, so a streaming
    /// connection earns the longer idle allowance (<see cref="ConnectionDeadlines"/>).
    /// </summary>
    void KeyProven();

    /// <summary>ping_delay_disconnect: close the connection after <paramref name="delay"/> unless called again; null cancels.</summary>
    void SetDisconnectDelay(TimeSpan? delay);

    /// <summary>http_wait on this request: how long to hold the answer open for server messages.</summary>
    void RequestHttpWait(TimeSpan maxWait, TimeSpan waitAfter);
}
