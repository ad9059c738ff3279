using System.Numerics;
using System.Security.Cryptography;
using System.Text;
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

/// <summary>
/// The server's state of one handshake, keyed by server_nonce. It lives in an <see cref="IPendingHandshakeStore"/> as a
/// record (<see cref="ToRecord"/>) between steps, and as this object only while one step runs.
/// </summary>
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

    /// <summary>
    /// The whole state as bytes, for the store. It holds the DH secret and the temporary AES key: a store outside this
    /// process must keep it confidential (the cluster's seals it, docs/cluster.md).
    /// </summary>
    public byte[] ToRecord()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(RecordFormat);
            writer.Write(Nonce);
            writer.Write(ServerNonce);
            writer.Write(PqValue);
            writer.Write(P);
            writer.Write(Q);
            writer.Write(Created.ToUnixTimeMilliseconds());
            writer.Write((byte)Stage);
            WriteBytes(writer, NewNonce);
            WriteBytes(writer, Secret.IsZero ? [] : Secret.ToByteArray(isUnsigned: true, isBigEndian: true));
            writer.Write(TmpKey);
            writer.Write(TmpIv);
            WriteOptional(writer, DataCenter);
            WriteOptional(writer, ExpiresIn);
            writer.Write(ExpectedRetryId);
            writer.Write(FailureReason ?? "");
            writer.Write(_answers.Count);
            foreach ((string constructor, (byte[] query, byte[] response)) in _answers)
            {
                writer.Write(constructor);
                WriteBytes(writer, query);
                WriteBytes(writer, response);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The state <see cref="ToRecord"/> wrote, or null when <paramref name="record"/> is not such a record.</summary>
    public static PendingHandshake? FromRecord(byte[] record)
    {
        using var reader = new BinaryReader(new MemoryStream(record, writable: false), Encoding.UTF8);
        try
        {
            if (reader.ReadByte() != RecordFormat)
            {
                return null;
            }

            var pending = new PendingHandshake(reader.ReadBytes(16), reader.ReadBytes(16), reader.ReadUInt64(), reader.ReadUInt32(),
                reader.ReadUInt32(), DateTimeOffset.FromUnixTimeMilliseconds(reader.ReadInt64()))
            {
                Stage = (HandshakeStage)reader.ReadByte(),
                NewNonce = ReadBytes(reader),
                Secret = new BigInteger(ReadBytes(reader), isUnsigned: true, isBigEndian: true),
            };
            reader.ReadBytes(32).CopyTo(pending.TmpKey, 0);
            reader.ReadBytes(32).CopyTo(pending.TmpIv, 0);
            pending.DataCenter = ReadOptional(reader);
            pending.ExpiresIn = ReadOptional(reader);
            pending.ExpectedRetryId = reader.ReadInt64();
            pending.FailureReason = reader.ReadString() is { Length: > 0 } reason ? reason : null;
            for (int count = reader.ReadInt32(), i = 0; i < count; i++)
            {
                pending._answers[reader.ReadString()] = (ReadBytes(reader), ReadBytes(reader));
            }

            return reader.BaseStream.Position == record.Length && pending.Nonce.Length == 16 && pending.ServerNonce.Length == 16
                ? pending : null;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    // The first byte of a record: a node of a newer build must not misread an older node's records mid-upgrade.
    private const byte RecordFormat = 1;

    private static void WriteBytes(BinaryWriter writer, byte[] value)
    {
        writer.Write(value.Length);
        writer.Write(value);
    }

    private static byte[] ReadBytes(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        return length is >= 0 and <= MaxFieldBytes ? reader.ReadBytes(length) : throw new FormatException($"a field of {length} bytes");
    }

    private static void WriteOptional(BinaryWriter writer, int? value)
    {
        writer.Write(value.HasValue);
        writer.Write(value ?? 0);
    }

    private static int? ReadOptional(BinaryReader reader)
    {
        bool present = reader.ReadBoolean();
        int value = reader.ReadInt32();
        return present ? value : null;
    }

    // Far above any field of a real handshake (a req_DH_params query is some 400 bytes): it only keeps a corrupt length
    // from asking for gigabytes.
    private const int MaxFieldBytes = 16 * 1024 * 1024;
}
