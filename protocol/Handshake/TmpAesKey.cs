using System.Security.Cryptography;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The temporary AES key and IV that protect server_DH_inner_data and client_DH_inner_data (docs/protocol.md §5.3):
/// <code>
/// tmp_aes_key = SHA1(new_nonce | server_nonce) | SHA1(server_nonce | new_nonce)[0:12]
/// tmp_aes_iv  = SHA1(server_nonce | new_nonce)[12:20] | SHA1(new_nonce | new_nonce) | new_nonce[0:4]
/// </code>
/// </summary>
public static class TmpAesKey
{
    /// <summary>Derives the 32-byte key and 32-byte IV from the 32-byte new_nonce and the 16-byte server_nonce.</summary>
    public static void Derive(ReadOnlySpan<byte> newNonce, ReadOnlySpan<byte> serverNonce, Span<byte> key, Span<byte> iv)
    {
        if (newNonce.Length != 32 || serverNonce.Length != 16 || key.Length != 32 || iv.Length != 32)
        {
            throw new ArgumentException("new_nonce is 32 bytes, server_nonce 16, key and IV 32 each.");
        }

        Span<byte> newServer = stackalloc byte[SHA1.HashSizeInBytes];
        Span<byte> serverNew = stackalloc byte[SHA1.HashSizeInBytes];
        Span<byte> newNew = stackalloc byte[SHA1.HashSizeInBytes];
        Span<byte> input = stackalloc byte[64];
        try
        {
            Concat(newNonce, serverNonce, input, newServer);
            Concat(serverNonce, newNonce, input, serverNew);
            Concat(newNonce, newNonce, input, newNew);

            newServer.CopyTo(key);
            serverNew[..12].CopyTo(key[20..]);

            serverNew[12..].CopyTo(iv);
            newNew.CopyTo(iv[8..]);
            newNonce[..4].CopyTo(iv[28..]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(newServer);
            CryptographicOperations.ZeroMemory(serverNew);
            CryptographicOperations.ZeroMemory(newNew);
            CryptographicOperations.ZeroMemory(input);
        }
    }

    private static void Concat(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> scratch, Span<byte> sha1)
    {
        first.CopyTo(scratch);
        second.CopyTo(scratch[first.Length..]);
        SHA1.HashData(scratch[..(first.Length + second.Length)], sha1);
    }
}
