namespace Testbed.Conformance.ClientSuite.Hostile;

/// <summary>
/// Everything the hostile server saw of the client during one case, in order: the evidence a verdict is drawn from.
/// Written by the connection loops, read by the case; thread-safe (readers get snapshots).
/// </summary>
internal sealed class WireLog
{
    private readonly Lock _lock = new();
    private readonly List<string> _connections = [];
    private readonly List<(int Connection, string Query)> _handshake = [];
    private readonly List<(int Connection, long KeyId, bool LeadingZero)> _keys = [];
    private readonly List<ClientPacket> _packets = [];
    private readonly List<string> _notes = [];
    private readonly List<int> _ended = [];
    private int _unopened;

    /// <summary>Each connection's transport and framing, in accept order (connection n is element n-1).</summary>
    public IReadOnlyList<string> Connections => Snapshot(_connections);

    /// <summary>The unencrypted handshake queries the client sent (req_pq_multi, req_DH_params, set_client_DH_params).</summary>
    public IReadOnlyList<(int Connection, string Query)> Handshake => Snapshot(_handshake);

    /// <summary>
    /// The auth keys the handshakes made: their ids, and whether the key's 256 bytes begin with a zero byte (1 key in
    /// 256; a client that drops that byte makes another key, docs/client-conformance.md, "A key that begins with zero").
    /// </summary>
    public IReadOnlyList<(int Connection, long KeyId, bool LeadingZero)> Keys => Snapshot(_keys);

    /// <summary>The encrypted packets the client sent, opened.</summary>
    public IReadOnlyList<ClientPacket> Packets => Snapshot(_packets);

    /// <summary>What the case itself did, for the report ("sent rpc_result under msg_id …").</summary>
    public IReadOnlyList<string> Notes => Snapshot(_notes);

    /// <summary>The connections the client closed (in the order it closed them).</summary>
    public IReadOnlyList<int> Ended => Snapshot(_ended);

    /// <summary>Encrypted packets that named no key of this server or did not decrypt.</summary>
    public int Unopened => Volatile.Read(ref _unopened);

    /// <summary>Every message of every packet, containers opened, in the order sent.</summary>
    public IEnumerable<(ClientPacket Packet, ClientMessage Message)> Messages => Packets.SelectMany(p => p.Messages.Select(m => (p, m)));

    public int AddConnection(string name)
    {
        lock (_lock)
        {
            _connections.Add(name);
            return _connections.Count;
        }
    }

    public void SetConnectionName(int connection, string name)
    {
        lock (_lock)
        {
            _connections[connection - 1] = name;
        }
    }

    public void AddHandshakeQuery(int connection, string query) => Add(_handshake, (connection, query));

    public void AddKey(int connection, long keyId, bool leadingZero) => Add(_keys, (connection, keyId, leadingZero));

    public void AddPacket(ClientPacket packet) => Add(_packets, packet);

    public void AddEnded(int connection) => Add(_ended, connection);

    public void Note(string note) => Add(_notes, note);

    public void CountUnopened() => Interlocked.Increment(ref _unopened);

    /// <summary>Whether the client sent the handshake query <paramref name="query"/> on any connection.</summary>
    public bool Sent(string query) => Handshake.Any(h => h.Query == query);

    private void Add<T>(List<T> list, T item)
    {
        lock (_lock)
        {
            list.Add(item);
        }
    }

    private List<T> Snapshot<T>(List<T> list)
    {
        lock (_lock)
        {
            return [.. list];
        }
    }
}
