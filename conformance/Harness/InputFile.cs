namespace Testbed.Conformance.Harness;

/// <summary>The files a command line names (a key, an expectations file), read with a bound and a one-line error.</summary>
internal static class InputFile
{
    /// <summary>
    /// The most an input file (a key, an expectations file) or a /server-info document is read. An RSA-4096 public key
    /// in PEM is under 1 KiB; the cap keeps a wrong path (a device, a log, an endless stream) from filling memory
    /// before the one-line answer.
    /// </summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>The text of the file given to <paramref name="option"/>, at most <see cref="MaxLength"/> bytes.</summary>
    public static async Task<string> ReadTextAsync(string option, string file, CancellationToken cancel)
    {
        try
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, useAsync: true);
            byte[] buffer = new byte[MaxLength + 1];
            int length = 0;
            for (int read; length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancel).ConfigureAwait(false)) > 0;)
            {
                length += read;
            }

            return length <= MaxLength
                ? System.Text.Encoding.UTF8.GetString(buffer, 0, length)
                : throw new TargetProblem($"{option} {file}: longer than {MaxLength / 1024} KiB; is this the right file?");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TargetProblem($"{option} {file}: cannot be read ({e.Message})", e);
        }
    }
}
