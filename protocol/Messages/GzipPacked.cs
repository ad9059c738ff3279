using System.IO.Compression;

namespace Testbed.Protocol.Messages;

/// <summary>
/// gzip_packed#3072cfa1 packed_data:bytes: a TL object compressed with gzip (docs/protocol.md §4). Unpacking stops
/// at a size limit, so a small packet cannot expand into unbounded memory (a decompression bomb).
/// </summary>
public static class GzipPacked
{
    /// <summary>Compresses serialized TL.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>
    /// Decompresses <paramref name="packed"/>; false when it is not valid gzip or would exceed
    /// <paramref name="maxLength"/> bytes (reading stops there).
    /// </summary>
    public static bool TryUnpack(byte[] packed, int maxLength, out byte[] data)
    {
        ArgumentNullException.ThrowIfNull(packed);
        data = [];
        try
        {
            using var input = new GZipStream(new MemoryStream(packed, writable: false), CompressionMode.Decompress);
            using var output = new MemoryStream();
            byte[] chunk = new byte[16 * 1024];
            int read;
            while ((read = input.Read(chunk)) > 0)
            {
                if (output.Length + read > maxLength)
                {
                    return false;
                }

                output.Write(chunk, 0, read);
            }

            data = output.ToArray();
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
