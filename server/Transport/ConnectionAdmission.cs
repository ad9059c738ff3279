using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Testbed.Server.Transport;

/// <summary>
/// Admits connections on both listeners under a global cap (below the descriptor limit: see
/// <see cref="DescriptorLimit"/>) and a per-address cap. Past the per-address cap a connection is closed at once,
/// before any transport work. At the global cap a new connection takes the place of the oldest connection that has not
/// proved a key, from the address holding the most such connections: an attacker spread over many addresses then churns
/// its own connections, and a client arriving meanwhile still gets in and through its handshake; only when every open
/// connection has proved a key is the new one refused. Refusals and evictions are counted, not logged (the heartbeat
/// logs the counts once per period): a flood of them must cost neither memory nor log space. Thread-safe.
/// </summary>
internal sealed class ConnectionAdmission(int maxConnections, int maxPerAddress)
{
    private readonly Dictionary<IPAddress, AddressConnections> _byAddress = [];
    private readonly Lock _lock = new();
    /// <summary>
    /// Evicted connections whose end is still pending: they hold their descriptors until Kestrel has closed them, so
    /// they still count as open, and at most a thirty-second of the cap (at least 32) may be pending at once, well inside
    /// the descriptors <see cref="DescriptorLimit"/> keeps back. Counted as closed at once, evictions let descriptors
    /// reach 1,019 of 1,024 in the soak suite; with 32 pending at most, a flood of 15,000 connections under a cap of
    /// 8,758 used them up and a newcomer was refused.
    /// </summary>
    private readonly int _maxPendingEvictions = Math.Max(32, maxConnections / 32);

    private int _open; // admitted and not yet ended, the evicted included
    private int _evicting;
    private long _admittedSoFar;
    private long _refusedAtAddressCap;
    private long _refusedAtGlobalCap;
    private long _evicted;

    /// <summary>The global cap.</summary>
    public int MaxConnections => maxConnections;

    /// <summary>The per-address cap.</summary>
    public int MaxPerAddress => maxPerAddress;

    /// <summary>Connections open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Since start: connections refused (at either cap) and connections closed to make room at the global cap.</summary>
    public (long Refused, long Evicted) Counts
    {
        get
        {
            lock (_lock)
            {
                return (_refusedAtAddressCap + _refusedAtGlobalCap, _evicted);
            }
        }
    }

    /// <summary>Kestrel connection middleware: the first step of every accepted connection, on both listeners.</summary>
    public ConnectionDelegate Admit(ConnectionDelegate next) => async connection =>
    {
        var admitted = new AdmittedConnection(this, connection, Normalize((connection.RemoteEndPoint as IPEndPoint)?.Address));
        if (!TryEnter(admitted, out AdmittedConnection? evicted))
        {
            connection.Abort();
            return;
        }

        evicted?.Context.Abort(new ConnectionAbortedException("evicted at the global connection cap"));
        connection.Items[typeof(AdmittedConnection)] = admitted;
        try
        {
            await next(connection);
        }
        finally
        {
            Leave(admitted);
        }
    };

    /// <summary>The admission record of a connection this middleware admitted, from its items.</summary>
    public static AdmittedConnection? Of(IDictionary<object, object?>? items) =>
        items is not null && items.TryGetValue(typeof(AdmittedConnection), out object? admitted) ? admitted as AdmittedConnection : null;

    private bool TryEnter(AdmittedConnection connection, out AdmittedConnection? evicted)
    {
        evicted = null;
        lock (_lock)
        {
            if (_byAddress.TryGetValue(connection.Address, out AddressConnections? known) && known.Count >= maxPerAddress)
            {
                _refusedAtAddressCap++;
                return false;
            }

            if (_open - _evicting >= maxConnections)
            {
                evicted = _evicting < _maxPendingEvictions ? OldestUnprovenOfBusiestAddress() : null;
                if (evicted is null)
                {
                    _refusedAtGlobalCap++;
                    return false;
                }

                _evicted++;
                _evicting++;
                evicted.Evicted = true;
                Unlink(evicted);
            }

            if (!_byAddress.TryGetValue(connection.Address, out AddressConnections? fromAddress))
            {
                _byAddress[connection.Address] = fromAddress = new AddressConnections();
            }

            fromAddress.Count++;
            connection.Order = ++_admittedSoFar;
            connection.Unproven = fromAddress.Unproven.AddLast(connection);
            _open++;
            return true;
        }
    }

    /// <summary>The connection <see cref="AdmittedConnection.KeyProven"/> reports: it is no longer a candidate for eviction.</summary>
    private void Proven(AdmittedConnection connection)
    {
        lock (_lock)
        {
            Unlink(connection);
        }
    }

    /// <summary>Takes the connection off its address's list of eviction candidates.</summary>
    private static void Unlink(AdmittedConnection connection)
    {
        if (connection.Unproven is { List: { } list } node)
        {
            list.Remove(node);
            connection.Unproven = null;
        }
    }

    /// <summary>Gives back the slot of a connection that has ended (evicted or not).</summary>
    private void Leave(AdmittedConnection connection)
    {
        lock (_lock)
        {
            Unlink(connection);
            AddressConnections fromAddress = _byAddress[connection.Address];
            fromAddress.Count--;
            _open--;
            _evicting -= connection.Evicted ? 1 : 0;
            if (fromAddress.Count == 0)
            {
                _byAddress.Remove(connection.Address); // memory follows the addresses connected now
            }
        }
    }

    /// <summary>
    /// A scan of the addresses, run only at the global cap (there are at least cap / per-address-cap of them). Between
    /// addresses with as many unproven connections, the one whose oldest is older.
    /// </summary>
    private AdmittedConnection? OldestUnprovenOfBusiestAddress()
    {
        AdmittedConnection? chosen = null;
        int most = 0;
        foreach (AddressConnections candidate in _byAddress.Values)
        {
            if (candidate.Unproven.First?.Value is not { } oldest)
            {
                continue;
            }

            if (candidate.Unproven.Count > most || (candidate.Unproven.Count == most && oldest.Order < chosen!.Order))
            {
                (chosen, most) = (oldest, candidate.Unproven.Count);
            }
        }

        return chosen;
    }

    // A client of a dual-stack socket shows as ::ffff:a.b.c.d; it is the same host as a.b.c.d.
    private static IPAddress Normalize(IPAddress? address) =>
        address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class AddressConnections
    {
        public int Count { get; set; }

        /// <summary>The address's connections that have not proved a key, oldest first.</summary>
        public LinkedList<AdmittedConnection> Unproven { get; } = [];
    }

    /// <summary>One admitted connection, as the admission tracks it; guarded by the admission's lock.</summary>
    internal sealed class AdmittedConnection(ConnectionAdmission admission, ConnectionContext context, IPAddress address)
    {
        public ConnectionContext Context { get; } = context;

        public IPAddress Address { get; } = address;

        internal LinkedListNode<AdmittedConnection>? Unproven { get; set; }

        /// <summary>Admitted as the Nth connection since start.</summary>
        internal long Order { get; set; }

        /// <summary>Closed to make room; its slot is given back when it has ended.</summary>
        internal bool Evicted { get; set; }

        /// <summary>A message decrypted under a known key on this connection: it is never evicted to make room.</summary>
        public void KeyProven() => admission.Proven(this);
    }
}
