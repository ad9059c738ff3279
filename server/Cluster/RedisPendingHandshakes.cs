using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Testbed.Protocol.Handshake;

namespace Testbed.Server.Cluster;

/// <summary>
/// The cluster's pending handshakes in Redis (docs/cluster.md, "Pending handshakes"): an HTTP client's handshake
/// steps are separate requests, which HAProxy may send to different nodes. A record lives under
/// <c>tb:pending:s:&lt;server_nonce&gt;</c> as "version sealed-record", its nonce under <c>tb:pending:n:&lt;nonce&gt;</c>,
/// both expiring with the pending lifetime. A step replaces the record only at the version it read (a Lua
/// compare-and-set), so two nodes never both advance one handshake.
/// </summary>
/// <remarks>
/// A record holds the handshake's DH secret and temporary AES key, so it is sealed before it leaves the node:
/// AES-256-GCM under a key derived from the salt secret every node of the cluster shares, with the server_nonce as
/// associated data, so that Redis (or anyone who can read it) sees neither secret, and a record cannot be moved to
/// another handshake's key.
/// </remarks>
internal sealed class RedisPendingHandshakes(RespConnectionPool pool, byte[] clusterSecret) : IPendingHandshakeStore
{
    private const int SealNonceSize = 12, TagSize = 16;

    private static readonly RedisScript AddScript = new("""
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) then return 0 end
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        return 1
        """);

    // ARGV[1] the version read, with its space; ARGV[2] the new value. KEEPTTL: a step does not extend the lifetime.
    private static readonly RedisScript ReplaceScript = new("""
        local current = redis.call('GET', KEYS[1])
        if not current or string.sub(current, 1, #ARGV[1]) ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
        return 1
        """);

    private readonly byte[] _sealKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, clusterSecret, 32,
        info: Encoding.ASCII.GetBytes("mtproto-testbed pending handshake record"));

    public bool TryAdd(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> serverNonce, byte[] record, TimeSpan lifetime)
    {
        string[] keys = [NonceKey(nonce), RecordKey(serverNonce)];
        string serverNonceHex = Convert.ToHexStringLower(serverNonce);
        string value = Value(1, Seal(serverNonce, record));
        string milliseconds = ((long)lifetime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        return Use(c => AddScript.Run(c, keys, serverNonceHex, value, milliseconds)) == "1";
    }

    public StoredHandshake? Find(ReadOnlySpan<byte> serverNonce)
    {
        string key = RecordKey(serverNonce);
        if (Use(c => c.Call("GET", key)) is not { } value)
        {
            return null;
        }

        int space = value.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0 || !long.TryParse(value.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out long version))
        {
            return new StoredHandshake([], 0);
        }

        // A record that does not open (tampered with, or sealed by a node with another secret) reads as empty, and
        // the handshake server refuses it as unreadable.
        return new StoredHandshake(Open(serverNonce, value.AsSpan(space + 1)) ?? [], version);
    }

    public byte[]? FindServerNonce(ReadOnlySpan<byte> nonce)
    {
        string key = NonceKey(nonce);
        string? serverNonce = Use(c => c.Call("GET", key));
        // Anything but 32 hex digits (a value this code did not write) reads as no handshake, never as an exception.
        byte[] bytes = new byte[16];
        return serverNonce is { Length: 32 }
            && Convert.FromHexString(serverNonce, bytes, out _, out int written) == System.Buffers.OperationStatus.Done && written == 16
            ? bytes : null;
    }

    public bool TryReplace(ReadOnlySpan<byte> serverNonce, long version, byte[] record)
    {
        string[] keys = [RecordKey(serverNonce)];
        string expected = version.ToString(CultureInfo.InvariantCulture) + " ";
        string value = Value(version + 1, Seal(serverNonce, record));
        return Use(c => ReplaceScript.Run(c, keys, expected, value)) == "1";
    }

    private string? Use(Func<RespConnection, string?> call)
    {
        try
        {
            return pool.Use(call);
        }
        catch (RespErrorException e)
        {
            throw new IOException($"Redis refused a pending-handshake command: {e.Message}", e);
        }
    }

    private string Seal(ReadOnlySpan<byte> serverNonce, byte[] record)
    {
        byte[] sealedRecord = new byte[SealNonceSize + TagSize + record.Length];
        Span<byte> sealNonce = sealedRecord.AsSpan(0, SealNonceSize);
        RandomNumberGenerator.Fill(sealNonce);
        using (var aes = new AesGcm(_sealKey, TagSize))
        {
            aes.Encrypt(sealNonce, record, sealedRecord.AsSpan(SealNonceSize + TagSize), sealedRecord.AsSpan(SealNonceSize, TagSize), serverNonce);
        }

        CryptographicOperations.ZeroMemory(record);
        return Convert.ToBase64String(sealedRecord);
    }

    private byte[]? Open(ReadOnlySpan<byte> serverNonce, ReadOnlySpan<char> base64)
    {
        byte[] sealedRecord = new byte[base64.Length * 3 / 4];
        if (!Convert.TryFromBase64Chars(base64, sealedRecord, out int length) || length < SealNonceSize + TagSize)
        {
            return null;
        }

        byte[] record = new byte[length - SealNonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_sealKey, TagSize);
            aes.Decrypt(sealedRecord.AsSpan(0, SealNonceSize), sealedRecord.AsSpan(SealNonceSize + TagSize, record.Length),
                sealedRecord.AsSpan(SealNonceSize, TagSize), record, serverNonce);
            return record;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static string Value(long version, string sealedRecord) => version.ToString(CultureInfo.InvariantCulture) + " " + sealedRecord;

    private static string RecordKey(ReadOnlySpan<byte> serverNonce) => "tb:pending:s:" + Convert.ToHexStringLower(serverNonce);

    private static string NonceKey(ReadOnlySpan<byte> nonce) => "tb:pending:n:" + Convert.ToHexStringLower(nonce);
}
