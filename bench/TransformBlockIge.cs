using System.Security.Cryptography;

namespace Testbed.Bench;

/// <summary>
/// AES-IGE the way the most popular C# MTProto client does it: an ECB <see cref="ICryptoTransform"/> called once per
/// 16-byte block, with the IGE XORs around it. A comparison point, not code the testbed uses.
/// </summary>
internal static class TransformBlockIge
{
    public static void Encrypt(byte[] key, byte[] iv, byte[] source, byte[] destination)
    {
        using var aes = Aes.Create();
        aes.Mode = CipherMode.ECB;
        aes.Padding = PaddingMode.None;
        using ICryptoTransform encryptor = aes.CreateEncryptor(key, null);
        byte[] previousCipher = iv[..16], previousPlain = iv[16..], block = new byte[16];
        for (int offset = 0; offset < source.Length; offset += 16)
        {
            for (int i = 0; i < 16; i++)
            {
                block[i] = (byte)(source[offset + i] ^ previousCipher[i]);
            }

            encryptor.TransformBlock(block, 0, 16, block, 0);
            for (int i = 0; i < 16; i++)
            {
                byte plain = source[offset + i];
                destination[offset + i] = previousCipher[i] = (byte)(block[i] ^ previousPlain[i]);
                previousPlain[i] = plain;
            }
        }
    }
}
