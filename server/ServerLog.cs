namespace Testbed.Server;

/// <summary>
/// The server's log messages, source-generated (no formatting unless the level is on). None of them takes key
/// material: auth keys, nonces and DH secrets never reach a log. The lines for a bad packet (refusals, a failure, a
/// closed connection, a new key) are logged only for events the <see cref="SecurityEventLog"/> writes in full, so a
/// flood is a few lines and then one <see cref="EventsFolded"/> line per kind and source and 10 s window.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Error, "Unexpected failure processing a {Length}-byte packet")]
    public static partial void PacketFailed(ILogger log, Exception exception, int length);

    [LoggerMessage(2, LogLevel.Information, "Handshake refused with {Code}: {Reason}")]
    public static partial void HandshakeRefused(ILogger log, int code, string reason);

    [LoggerMessage(3, LogLevel.Warning, "A new auth key's id {AuthKeyId:x16} was taken meanwhile; refusing it")]
    public static partial void AuthKeyIdRaced(ILogger log, long authKeyId);

    [LoggerMessage(4, LogLevel.Information, "New {Kind} auth key {AuthKeyId:x16} for DC {DataCenter}")]
    public static partial void NewAuthKey(ILogger log, string kind, long authKeyId, int? dataCenter);

    [LoggerMessage(5, LogLevel.Information, "Encrypted message for auth key {AuthKeyId:x16}: {Outcome}")]
    public static partial void EncryptedRefused(ILogger log, string outcome, long authKeyId);

    [LoggerMessage(6, LogLevel.Information, "{Transport} connection {ConnectionId} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger log, string transport, string connectionId, string reason);

    [LoggerMessage(7, LogLevel.Information, "HTTP/WebSocket on {Url}: MTProto POST /api, WebSocket ws://{Address}/apiws, server info /server-info, browser client /")]
    public static partial void ListeningHttp(ILogger log, string url, string address);

    [LoggerMessage(8, LogLevel.Information, "MTProto TCP on {Url} (abridged, intermediate, padded intermediate, full; the first three obfuscated too)")]
    public static partial void ListeningTcp(ILogger log, string url);

    [LoggerMessage(9, LogLevel.Information, "Data directory: {DataDirectory} ({Storage}, schema version {Version})")]
    public static partial void DataDirectory(ILogger log, string dataDirectory, string storage, int version);

    [LoggerMessage(10, LogLevel.Information, "RSA key fingerprint: {Fingerprint}{Generated}")]
    public static partial void Fingerprint(ILogger log, string fingerprint, string generated);

    [LoggerMessage(11, LogLevel.Warning, "!!! FAULT PROFILE ON: {Fault} — {Weakness} This server is deliberately vulnerable; never expose it.")]
    public static partial void FaultOn(ILogger log, string fault, string weakness);

    [LoggerMessage(15, LogLevel.Warning, "!!! length-timing-leak: {Nanoseconds} ns more on every packet whose unauthenticated layout is impossible (calibrated: a clock spin costs {Overhead:F0} ns beyond its target, taken off each wait of 500 ns or more; shorter waits count {PerNanosecond:F2} loop iterations a nanosecond).")]
    public static partial void TimingLeakOn(ILogger log, long nanoseconds, double overhead, double perNanosecond);

    [LoggerMessage(12, LogLevel.Warning, "!!! LAB CLOCK ON: POST /lab/clock?advance=SECONDS moves this server's clock forward. For the replay lab only; never expose it.")]
    public static partial void LabClockOn(ILogger log);

    [LoggerMessage(14, LogLevel.Warning, "!!! LEGACY RSA ON (Testbed:AcceptLegacyRsa): req_DH_params in the pre-RSA_PAD encoding is accepted beside RSA_PAD. Only for old clients; conformance case HSK-013 fails while it is on.")]
    public static partial void LegacyRsaOn(ILogger log);

    [LoggerMessage(13, LogLevel.Information, "{Event} x{Count} more from {Remote} in the last {Seconds} s, counted in security-events.jsonl and not logged one by one")]
    public static partial void EventsFolded(ILogger log, string @event, long count, string remote, int seconds);
}
