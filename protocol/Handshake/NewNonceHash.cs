using System.Security.Cryptography;

namespace Testbed.Protocol.Handshake;

/// <summary>
/// The hashes that bind the end of the handshake to new_nonce (docs/protocol.md §5.5):
/// <c>new_nonce_hashN = SHA1(new_nonce | N | auth_key_aux_hash)[4:20]</c> for dh_gen_ok (1), dh_gen_retry (2) and
/// dh_gen_fail (3), and <c>SHA1(new_nonce)[4:20]</c> in server_DH_params_fail.
/// </summary>
public static class NewNonceHash
{
    /// <summary>The hash size in bytes (an int128).</summary>
    public const int Size = 16;

    /// <summary>new_nonce_hash1, 2 or 3.</summary>
    /// <param name="newNonce">32 bytes.</param>
    /// <param name="number">1 (ok), 2 (retry) or 3 (fail).</param>
    /// <param name="authKeyAuxHash">The 8 wire bytes of auth_key_aux_hash.</param>
    /// <param name="destination">16 bytes.</param>
    public static void Compute(ReadOnlySpan<byte> newNonce, int number, ReadOnlySpan<byte> authKeyAuxHash, Span<byte> destination)
    {
        if (newNonce.Length != 32 || authKeyAuxHash.Length != 8 || destination.Length != Size || number is < 1 or > 3)
        {
            throw new ArgumentException("new_nonce is 32 bytes, aux_hash 8, the result 16, and N is 1, 2 or 3.");
        }

        Span<byte> input = stackalloc byte[32 + 1 + 8];
        newNonce.CopyTo(input);
        input[32] = (byte)number;
        authKeyAuxHash.CopyTo(input[33..]);
        Span<byte> sha1 = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input, sha1);
        sha1[4..].CopyTo(destination);
        CryptographicOperations.ZeroMemory(input);
    }

    /// <summary>The new_nonce_hash of server_DH_params_fail: <c>SHA1(new_nonce)[4:20]</c>.</summary>
    public static void ComputeForParamsFail(ReadOnlySpan<byte> newNonce, Span<byte> destination)
    {
        if (newNonce.Length != 32 || destination.Length != Size)
        {
            throw new ArgumentException("new_nonce is 32 bytes and the result 16.");
        }

        Span<byte> sha1 = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(newNonce, sha1);
        sha1[4..].CopyTo(destination);
    }
}
