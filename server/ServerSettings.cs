namespace Testbed.Server;

/// <summary>
/// The server's settings, bound from the <c>Testbed</c> configuration section (appsettings.json, environment
/// variables such as <c>Testbed__TcpEndpoint</c>, or <c>--Testbed:TcpEndpoint=…</c> on the command line).
/// </summary>
public sealed class ServerSettings
{
    /// <summary>Where the SQLite database and the RSA key live.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>HTTP: POST /api, /apiws, /server-info, the browser client.</summary>
    public string HttpEndpoint { get; set; } = "127.0.0.1:5000";

    /// <summary>The MTProto TCP transport.</summary>
    public string TcpEndpoint { get; set; } = "127.0.0.1:5001";

    /// <summary>The largest packet accepted on any transport: 1 MiB.</summary>
    public int MaxPacketLength { get; set; } = 1 << 20;

    /// <summary>
    /// Unencrypted (handshake) messages allowed per peer address per minute: 120, forty handshakes, so that one full
    /// conformance run (about 85 messages) fits in a minute.
    /// </summary>
    public int HandshakeMessagesPerMinute { get; set; } = 120;

    /// <summary>Fault profiles to turn on (<c>--fault NAME</c>); see <see cref="Faults.FaultCatalog"/>.</summary>
    public List<string> Faults { get; set; } = [];

    /// <summary>How long an unfinished handshake is remembered (600 s); a lower value lets tests see it expire.</summary>
    public int PendingHandshakeSeconds { get; set; } = 600;

    /// <summary>The DC id this server serves.</summary>
    public int DataCenter { get; set; } = 1;

    /// <summary>
    /// For the replay lab only: a server clock that <c>POST /lab/clock?advance=SECONDS</c> moves forward, so that time
    /// windows can be tested in seconds instead of minutes. Off by default; never turn it on for real use.
    /// </summary>
    public bool LabClock { get; set; }
}
