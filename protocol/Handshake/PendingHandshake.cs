using System.Numerics;
using System.Security.Cryptography;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Handshake;

/// <summary>Where a server-side handshake stands.</summary>
internal enum HandshakeStage
{
    PqSent,
    DhParamsSent,
    Done,
    Failed,
    Poisoned,
}

/// <summary>The server's state of one handshake, keyed by server_nonce. Used under its own lock.</summary>
internal sealed class PendingHandshake(byte[] nonce, byte[] serverNonce, ulong pq, uint p, uint q, DateTimeOffset created)
{
    private readonly Dictionary<string, (byte[] Query, byte[] Response)> _answers = [];

    public byte[] Nonce { get; } = nonce;

    public byte[] ServerNonce { get; } = serverNonce;

    public ulong PqValue { get; } = pq;

    public uint P { get; } = p;

    public uint Q { get; } = q;

    public DateTimeOffset Created { get; } = created;

    public HandshakeStage Stage { get; set; }

    public byte[] NewNonce { get; set; } = [];

    public BigInteger Secret { get; set; }

    public byte[] TmpKey { get; } = new byte[32];

    public byte[] TmpIv { get; } = new byte[32];

    public int? DataCenter { get; set; }

    public int? ExpiresIn { get; set; }

    public long ExpectedRetryId { get; set; }

    public string? FailureReason { get; set; }

    /// <summary>Whether a query or inner object carries this handshake's nonce and server_nonce.</summary>
    public bool Matches(TlObject value) =>
        value.Get<byte[]>("nonce").AsSpan().SequenceEqual(Nonce)
        && value.Get<byte[]>("server_nonce").AsSpan().SequenceEqual(ServerNonce);

    /// <summary>The stored answer if <paramref name="query"/> is byte-for-byte a query already answered.</summary>
    public HandshakeReply? Replay(ReadOnlySpan<byte> query)
    {
        foreach ((byte[] previous, byte[] response) in _answers.Values)
        {
            if (query.SequenceEqual(previous))
            {
                return new HandshakeReply(response);
            }
        }

        return null;
    }

    /// <summary>Keeps the answer to a query so an identical re-send gets it again.</summary>
    public void Remember(ReadOnlySpan<byte> query, byte[] response) =>
        _answers[Convert.ToHexString(query[..Math.Min(4, query.Length)])] = (query.ToArray(), response);

    /// <summary>Marks the handshake failed for good: every later query of it gets -404.</summary>
    public void Poison()
    {
        Stage = HandshakeStage.Poisoned;
        Wipe();
    }

    /// <summary>Forgets the secrets.</summary>
    public void Wipe()
    {
        Secret = BigInteger.Zero;
        CryptographicOperations.ZeroMemory(TmpKey);
        CryptographicOperations.ZeroMemory(TmpIv);
        CryptographicOperations.ZeroMemory(NewNonce);
    }
}
