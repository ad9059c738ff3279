namespace Testbed.Server;

/// <summary>
/// The server's settings, bound from the <c>Testbed</c> configuration section (appsettings.json, environment
/// variables such as <c>Testbed__TcpEndpoint</c>, or <c>--Testbed:TcpEndpoint=…</c> on the command line).
/// </summary>
public sealed class ServerSettings
{
    private const string SqliteStorage = "sqlite";
    private const string PostgresStorage = "postgres";

    /// <summary>Where the SQLite database (unless <see cref="Storage"/> is postgres), the RSA key and the security log live.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>
    /// Where auth keys, chat users and messages are kept: <c>sqlite</c> (the default), a file in
    /// <see cref="DataDirectory"/> and no set-up, or <c>postgres</c>, the PostgreSQL at <see cref="PostgresConnection"/>,
    /// which several server processes can share (docs/server.md, "Storage backends").
    /// </summary>
    public string Storage { get; set; } = SqliteStorage;

    /// <summary>
    /// The Npgsql connection string of the PostgreSQL database when <see cref="Storage"/> is postgres, such as
    /// <c>Host=127.0.0.1;Port=5432;Username=testbed;Database=testbed</c> (what cluster/engines/postgres.sh prints).
    /// </summary>
    public string? PostgresConnection { get; set; }

    /// <summary>Whether <see cref="Storage"/> names PostgreSQL.</summary>
    public bool UsesPostgres => string.Equals(Storage, PostgresStorage, StringComparison.OrdinalIgnoreCase);

    /// <summary>HTTP: POST /api, /apiws, /server-info, the browser client.</summary>
    public string HttpEndpoint { get; set; } = "127.0.0.1:5000";

    /// <summary>The MTProto TCP transport.</summary>
    public string TcpEndpoint { get; set; } = "127.0.0.1:5001";

    /// <summary>
    /// The MTProto TCP address clients are told (help.getConfig's dc_options, /server-info) when it is not the one this
    /// server listens on: a load balancer's in front of a cluster (cluster/up.sh sets HAProxy's), so that a client that
    /// takes its address from there does not go past the balancer to one node. Unset: <see cref="TcpEndpoint"/>.
    /// </summary>
    public string? PublicTcpEndpoint { get; set; }

    /// <summary>The largest packet accepted on any transport: 1 MiB.</summary>
    public int MaxPacketLength { get; set; } = 1 << 20;

    /// <summary>
    /// Unencrypted (handshake) messages allowed per peer address per minute: 120, forty handshakes, so that one full
    /// conformance run (about 85 messages) fits in a minute.
    /// </summary>
    public int HandshakeMessagesPerMinute { get; set; } = 120;

    /// <summary>
    /// Other unencrypted messages (malformed, or not a handshake query: each answered -404) allowed per peer address per
    /// minute: 6000, far above any client's mistakes, so that garbage cannot spend the handshake budget above, yet its
    /// answers and log lines stay bounded (-429 past it).
    /// </summary>
    public int GarbageMessagesPerMinute { get; set; } = 6000;

    /// <summary>
    /// Open connections (TCP and HTTP/WebSocket together) allowed at once; past it a new connection is closed as soon
    /// as it is accepted. 0, the default, derives the cap from the process's descriptor limit at start-up, leaving a
    /// reserve for the server's own files (<see cref="Transport.DescriptorLimit"/>), so that accepting can never run
    /// the process out of descriptors (HAProxy's maxconn, derived the same way from ulimit -n).
    /// </summary>
    public int MaxConnections { get; set; }

    /// <summary>
    /// Open connections allowed from one peer address: 256, enough for a NAT of busy clients (each keeps a few), few
    /// enough that one address cannot take the whole global cap (nginx's limit_conn).
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 256;

    /// <summary>
    /// Seconds a TCP or WebSocket connection may go without a complete packet until it has proved it holds an auth
    /// key: from accept to the first packet, and between handshake steps. 10 s: a handshake step is one round trip.
    /// </summary>
    public int HandshakeStepSeconds { get; set; } = 10;

    /// <summary>
    /// Seconds a connection that has proved a key (a message decrypted under it) may go without a complete packet:
    /// 300. A ping_delay_disconnect longer than this extends it, up to an hour, since the client has said when it will
    /// ping next (docs/server.md).
    /// </summary>
    public int IdleSeconds { get; set; } = 300;

    /// <summary>
    /// While a frame is incomplete, the bytes per second it must arrive at, judged over each 5 s window (Kestrel's
    /// MinRequestBodyDataRate for HTTP bodies: 240 bytes/s). A trickling or stalled frame is closed.
    /// </summary>
    public int MinFrameBytesPerSecond { get; set; } = 240;

    /// <summary>
    /// Bytes all connections together may hold in incomplete frames: 128 MiB. A connection whose frame would take
    /// more is closed, so stalled large frames cannot grow memory without bound whatever the number of addresses.
    /// </summary>
    public long MaxBufferedBytes { get; set; } = 128L << 20;

    /// <summary>
    /// The size, in bytes, at which <c>security-events.jsonl</c> is rotated to <c>security-events.jsonl.1</c> (older files
    /// shift to .2, …): 16 MiB, about 90 000 events. At least 1024, the longest line (docs/server.md, "Bounded security log").
    /// </summary>
    public long SecurityLogMaxBytes { get; set; } = 16L << 20;

    /// <summary>
    /// How many security-log files are kept, the current one included: 4, so the log takes at most 4 ×
    /// <see cref="SecurityLogMaxBytes"/> (64 MiB) of disk; the oldest is deleted. At least 1.
    /// </summary>
    public int SecurityLogFiles { get; set; } = 4;

    // Memory bounds: what the server keeps per client is given back (docs/server.md "Memory bounds").

    /// <summary>
    /// Sessions kept in memory, all keys together: 50 000, more than the connections a default descriptor limit admits,
    /// so that live clients keep their sessions under ordinary load (an idle one after a ping holds about 1.5 KiB,
    /// bench session-memory; a busy one up to its 12 KiB replay window, its remembered answers and its outbox). Past
    /// it the least recently used is evicted; a client that comes back gets a new session above its old one's msg_ids.
    /// </summary>
    public int MaxSessions { get; set; } = 50_000;

    /// <summary>
    /// Minutes after which an unused session is evicted: 30, six times the 300 s msg_id time window, so that no
    /// message it could still be asked to answer again is lost with it (docs/protocol.md §3.4).
    /// </summary>
    public int SessionIdleMinutes { get; set; } = 30;

    /// <summary>Auth keys kept decoded in memory: 10 000. The database stays the source: a key evicted is loaded again.</summary>
    public int MaxCachedAuthKeys { get; set; } = 10_000;

    /// <summary>Minutes after which an unused auth key leaves the memory cache: 30.</summary>
    public int AuthKeyIdleMinutes { get; set; } = 30;

    /// <summary>Fault profiles to turn on (<c>--fault NAME</c>); see <see cref="Faults.FaultCatalog"/>.</summary>
    public List<string> Faults { get; set; } = [];

    /// <summary>How long an unfinished handshake is remembered (600 s); a lower value lets tests see it expire.</summary>
    public int PendingHandshakeSeconds { get; set; } = 600;

    /// <summary>
    /// The cluster's Redis, in StackExchange.Redis configuration syntax (<c>127.0.0.1:6379</c>): when set, the node
    /// shares the sessions' replay windows with every node on the same Redis (docs/cluster.md). Unset (the default):
    /// one node, everything in its own memory.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>This node's name in a cluster (cluster/up.sh names them node1, node2...), shown in /server-info; null for one server.</summary>
    public string? NodeName { get; set; }

    /// <summary>The DC id this server serves.</summary>
    public int DataCenter { get; set; } = 1;

    /// <summary>
    /// For the replay lab only: a server clock that <c>POST /lab/clock?advance=SECONDS</c> moves forward, so that time
    /// windows can be tested in seconds instead of minutes. Off by default; never turn it on for real use.
    /// </summary>
    public bool LabClock { get; set; }

    /// <summary>
    /// Also accept the pre-RSA_PAD encoding of req_DH_params' encrypted_data (SHA1(data) | data | padding, RSA'd raw),
    /// which MTProto 2.0 replaced (core.telegram.org/mtproto/auth_key, "4.1) RSA_PAD"): off by default, so it is
    /// refused with -404 as the spec asks (conformance case HSK-013). On only for old clients that still send it, such
    /// as @mtproto/core 6.3.0; the server warns at start-up while it is on (docs/server.md "Legacy RSA encoding").
    /// </summary>
    public bool AcceptLegacyRsa { get; set; }

    /// <summary>
    /// The first setting whose value cannot work, as one line naming it and what it must be; null when all can. The
    /// binder checks types only: a cap of 0 connections or a timeout of -1 s parses, and would fail later or never.
    /// </summary>
    public string? Problem()
    {
        (string Name, long Value, long Least, string Why)[] bounds =
        [
            (nameof(MaxPacketLength), MaxPacketLength, 1024, "1024 bytes or more"),
            (nameof(HandshakeMessagesPerMinute), HandshakeMessagesPerMinute, 1, "at least 1"),
            (nameof(MaxConnections), MaxConnections, 0, "0 (derived from the descriptor limit) or a positive cap"),
            (nameof(MaxConnectionsPerAddress), MaxConnectionsPerAddress, 1, "at least 1"),
            (nameof(HandshakeStepSeconds), HandshakeStepSeconds, 1, "at least 1 second"),
            (nameof(IdleSeconds), IdleSeconds, 1, "at least 1 second"),
            (nameof(MinFrameBytesPerSecond), MinFrameBytesPerSecond, 0, "0 (no minimum) or more"),
            (nameof(MaxBufferedBytes), MaxBufferedBytes, MaxPacketLength, $"at least one packet's length ({MaxPacketLength})"),
            (nameof(SecurityLogMaxBytes), SecurityLogMaxBytes, SecurityEventLine.MaxLineBytes, $"at least the longest security-event line ({SecurityEventLine.MaxLineBytes} bytes)"),
            (nameof(SecurityLogFiles), SecurityLogFiles, 1, "at least 1 (the current file)"),
            (nameof(GarbageMessagesPerMinute), GarbageMessagesPerMinute, 1, "at least 1"),
            (nameof(MaxSessions), MaxSessions, 1, "at least 1"),
            (nameof(SessionIdleMinutes), SessionIdleMinutes, 1, "at least 1 minute"),
            (nameof(MaxCachedAuthKeys), MaxCachedAuthKeys, 1, "at least 1"),
            (nameof(AuthKeyIdleMinutes), AuthKeyIdleMinutes, 1, "at least 1 minute"),
        ];
        foreach ((string name, long value, long least, string why) in bounds)
        {
            if (value < least)
            {
                return $"--Testbed:{name}={value} cannot work: it must be {why}.";
            }
        }

        return StorageProblem();
    }

    /// <summary>An unknown backend, or PostgreSQL without a usable connection string; null when storage can work.</summary>
    private string? StorageProblem()
    {
        if (!UsesPostgres)
        {
            return string.Equals(Storage, SqliteStorage, StringComparison.OrdinalIgnoreCase) ? null
                : $"--Testbed:{nameof(Storage)}='{Storage}' is not a storage backend: use {SqliteStorage} (the default) or {PostgresStorage}.";
        }

        string example = "such as Host=127.0.0.1;Port=5432;Username=testbed;Database=testbed";
        if (string.IsNullOrWhiteSpace(PostgresConnection))
        {
            return $"--Testbed:{nameof(Storage)}={PostgresStorage} needs --Testbed:{nameof(PostgresConnection)}, an Npgsql connection string {example}.";
        }

        try
        {
            // The string is not repeated in the line: it may hold a password.
            return string.IsNullOrEmpty(new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnection).Host)
                ? $"--Testbed:{nameof(PostgresConnection)} names no Host: it must be an Npgsql connection string {example}."
                : null;
        }
        catch (ArgumentException e)
        {
            return $"--Testbed:{nameof(PostgresConnection)} is not an Npgsql connection string ({e.Message.TrimEnd('.')}): it must be one {example}.";
        }
    }
}
