using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Testbed.Protocol.Sessions;

/// <summary>One entry of future_salts: a salt and the time it is the current one.</summary>
/// <param name="ValidSince">Start (Unix seconds).</param>
/// <param name="ValidUntil">End (Unix seconds); the salt is still accepted for one more period after it.</param>
/// <param name="Salt">The salt as the TL long.</param>
public readonly record struct FutureSalt(int ValidSince, int ValidUntil, long Salt);

/// <summary>
/// Server salts derived rather than stored (docs/protocol.md §3.5): time is cut into periods (30 minutes), and the
/// salt of period n for an auth key is the first 8 bytes of <c>HMAC-SHA256(secret, auth_key_id | n)</c>. The current
/// salt and the previous period's are accepted, which gives each salt the documented 30-minute overlap; a restarted
/// server with the same secret computes the same salts. Thread-safe.
/// </summary>
public sealed class ServerSaltSchedule
{
    private readonly byte[] _secret;
    private readonly long _periodSeconds;

    /// <summary>Creates a schedule from a server secret (at least 32 bytes, kept in the server's data directory).</summary>
    public ServerSaltSchedule(ReadOnlySpan<byte> secret, TimeSpan? period = null)
    {
        if (secret.Length < 32)
        {
            throw new ArgumentException("The salt secret must be at least 32 bytes.", nameof(secret));
        }

        _secret = secret.ToArray();
        _periodSeconds = (long)(period ?? TimeSpan.FromMinutes(30)).TotalSeconds;
        ArgumentOutOfRangeException.ThrowIfLessThan(_periodSeconds, 1, nameof(period));
    }

    /// <summary>The salt a server sends now (in bad_server_salt, new_session_created, its own messages).</summary>
    public long Current(long authKeyId, DateTimeOffset now) => SaltOf(authKeyId, PeriodOf(now));

    /// <summary>Whether <paramref name="salt"/> is the current or the previous period's salt.</summary>
    public bool IsAccepted(long authKeyId, long salt, DateTimeOffset now)
    {
        long period = PeriodOf(now);
        return salt == SaltOf(authKeyId, period) || salt == SaltOf(authKeyId, period - 1);
    }

    /// <summary>The salts of the current and the next <paramref name="count"/> - 1 periods, for get_future_salts.</summary>
    public IReadOnlyList<FutureSalt> Future(long authKeyId, DateTimeOffset now, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        long first = PeriodOf(now);
        return Enumerable.Range(0, count).Select(i =>
        {
            long period = first + i;
            return new FutureSalt((int)(period * _periodSeconds), (int)((period + 1) * _periodSeconds), SaltOf(authKeyId, period));
        }).ToArray();
    }

    private long PeriodOf(DateTimeOffset now)
    {
        long seconds = now.ToUnixTimeSeconds();
        long period = seconds / _periodSeconds;
        return seconds % _periodSeconds < 0 ? period - 1 : period; // floor, also before 1970
    }

    private long SaltOf(long authKeyId, long period)
    {
        Span<byte> input = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(input, authKeyId);
        BinaryPrimitives.WriteInt64LittleEndian(input[8..], period);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, input, mac);
        return BinaryPrimitives.ReadInt64LittleEndian(mac);
    }
}
