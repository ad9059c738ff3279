using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// Pending handshakes in this process's memory: the default store of a <see cref="HandshakeServer"/>. Expired records
/// are never returned, and are swept (their bytes zeroed) at most once a second.
/// </summary>
public sealed class InMemoryPendingHandshakeStore(TimeProvider clock) : IPendingHandshakeStore
{
    private readonly ConcurrentDictionary<UInt128, Entry> _byServerNonce = new();
    private readonly ConcurrentDictionary<UInt128, UInt128> _byNonce = new();
    private readonly Lock _adding = new();
    private DateTimeOffset _lastSweep;

    /// <summary>Records kept now, expired ones not yet swept included.</summary>
    public int Count => _byServerNonce.Count;

    /// <inheritdoc/>
    public bool TryAdd(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> serverNonce, byte[] record, TimeSpan lifetime)
    {
        DateTimeOffset now = clock.GetUtcNow();
        UInt128 nonceKey = Key(nonce), serverNonceKey = Key(serverNonce);
        lock (_adding)
        {
            Sweep(now);
            if (_byNonce.TryGetValue(nonceKey, out UInt128 existing) && Live(existing, now) is not null)
            {
                return false;
            }

            _byServerNonce[serverNonceKey] = new Entry(record, 1, now + lifetime);
            _byNonce[nonceKey] = serverNonceKey;
            return true;
        }
    }

    /// <inheritdoc/>
    public StoredHandshake? Find(ReadOnlySpan<byte> serverNonce)
    {
        Entry? entry = Live(Key(serverNonce), clock.GetUtcNow());
        if (entry is null)
        {
            return null;
        }

        lock (entry)
        {
            // A copy: the caller zeroes what it read once it has parsed it.
            return new StoredHandshake(entry.Record.ToArray(), entry.Version);
        }
    }

    /// <inheritdoc/>
    public byte[]? FindServerNonce(ReadOnlySpan<byte> nonce)
    {
        if (!_byNonce.TryGetValue(Key(nonce), out UInt128 serverNonce) || Live(serverNonce, clock.GetUtcNow()) is null)
        {
            return null;
        }

        byte[] bytes = new byte[16];
        BinaryPrimitives.WriteUInt128LittleEndian(bytes, serverNonce);
        return bytes;
    }

    /// <inheritdoc/>
    public bool TryReplace(ReadOnlySpan<byte> serverNonce, long version, byte[] record)
    {
        Entry? entry = Live(Key(serverNonce), clock.GetUtcNow());
        if (entry is null)
        {
            return false;
        }

        lock (entry)
        {
            if (entry.Version != version)
            {
                return false;
            }

            CryptographicOperations.ZeroMemory(entry.Record);
            (entry.Record, entry.Version) = (record, version + 1);
            return true;
        }
    }

    private Entry? Live(UInt128 serverNonce, DateTimeOffset now) =>
        _byServerNonce.TryGetValue(serverNonce, out Entry? entry) && entry.Expires > now ? entry : null;

    private void Sweep(DateTimeOffset now)
    {
        // A sweep walks every record: at most once a second, under _adding.
        if (now - _lastSweep < TimeSpan.FromSeconds(1))
        {
            return;
        }

        _lastSweep = now;
        foreach ((UInt128 serverNonce, Entry entry) in _byServerNonce)
        {
            if (entry.Expires <= now && _byServerNonce.TryRemove(serverNonce, out _))
            {
                lock (entry)
                {
                    CryptographicOperations.ZeroMemory(entry.Record);
                }
            }
        }

        foreach ((UInt128 nonce, UInt128 serverNonce) in _byNonce)
        {
            if (!_byServerNonce.ContainsKey(serverNonce))
            {
                _byNonce.TryRemove(nonce, out _);
            }
        }
    }

    // Nonces are int128 on the wire; a field of another length (only a malformed query has one) maps to a key no
    // handshake has.
    private static UInt128 Key(ReadOnlySpan<byte> nonce) =>
        nonce.Length == 16 ? BinaryPrimitives.ReadUInt128LittleEndian(nonce) : UInt128.MaxValue;

    private sealed class Entry(byte[] record, long version, DateTimeOffset expires)
    {
        public byte[] Record { get; set; } = record;

        public long Version { get; set; } = version;

        public DateTimeOffset Expires { get; } = expires;
    }
}
