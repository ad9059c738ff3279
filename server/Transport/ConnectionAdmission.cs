using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Testbed.Server.Transport;

/// <summary>
/// Admits connections on both listeners under a global cap (below the descriptor limit: see
/// <see cref="DescriptorLimit"/>) and a per-address cap. Past a cap a connection is closed at once, before any
/// transport work, and counted rather than logged (the heartbeat logs the counts once per period): a flood of
/// refusals must cost neither memory nor log space. Connections already open are served as before, and a slot is free
/// again as soon as its connection closes. Thread-safe.
/// </summary>
internal sealed class ConnectionAdmission(int maxConnections, int maxPerAddress)
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private int _open;
    private long _refusedAtGlobalCap;
    private long _refusedAtAddressCap;

    /// <summary>The global cap.</summary>
    public int MaxConnections => maxConnections;

    /// <summary>The per-address cap.</summary>
    public int MaxPerAddress => maxPerAddress;

    /// <summary>Connections open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Connections refused since start, at the global cap and at the per-address cap.</summary>
    public (long AtGlobalCap, long AtAddressCap) Refused => (Interlocked.Read(ref _refusedAtGlobalCap), Interlocked.Read(ref _refusedAtAddressCap));

    /// <summary>Kestrel connection middleware: the first step of every accepted connection, on both listeners.</summary>
    public ConnectionDelegate Admit(ConnectionDelegate next) => async connection =>
    {
        IPAddress address = Normalize((connection.RemoteEndPoint as IPEndPoint)?.Address);
        if (!TryEnter(address))
        {
            connection.Abort();
            return;
        }

        try
        {
            await next(connection);
        }
        finally
        {
            Leave(address);
        }
    };

    /// <summary>Takes a slot for <paramref name="address"/>; false, counted, when a cap is reached.</summary>
    public bool TryEnter(IPAddress address)
    {
        lock (_lock)
        {
            if (_open >= maxConnections)
            {
                _refusedAtGlobalCap++;
                return false;
            }

            int fromAddress = _perAddress.GetValueOrDefault(address);
            if (fromAddress >= maxPerAddress)
            {
                _refusedAtAddressCap++;
                return false;
            }

            _perAddress[address] = fromAddress + 1;
            _open++;
            return true;
        }
    }

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/>.</summary>
    public void Leave(IPAddress address)
    {
        lock (_lock)
        {
            _open--;
            int left = _perAddress[address] - 1;
            if (left == 0)
            {
                _perAddress.Remove(address); // memory follows the addresses connected now
            }
            else
            {
                _perAddress[address] = left;
            }
        }
    }

    // A client of a dual-stack socket shows as ::ffff:a.b.c.d; it is the same host as a.b.c.d.
    private static IPAddress Normalize(IPAddress? address) =>
        address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
