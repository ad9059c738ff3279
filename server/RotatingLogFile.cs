namespace Testbed.Server;

/// <summary>
/// An append-only file that is rotated by size, so that a log's disk use is bounded: a line that would take the file
/// past <c>maxBytes</c> first turns it into <c>NAME.1</c> (an older <c>NAME.1</c> into <c>NAME.2</c>, and so on), and
/// <c>files</c> files are kept in all, the current one included; the oldest is deleted. So the log takes at most
/// files × maxBytes bytes. Not thread-safe: its owner serialises writes.
/// </summary>
internal sealed class RotatingLogFile : IDisposable
{
    private readonly string _path;
    private readonly long _maxBytes;
    private readonly int _files;
    private FileStream _stream;

    /// <summary>Opens (appending to) <paramref name="path"/>.</summary>
    /// <param name="path">The current file.</param>
    /// <param name="maxBytes">The largest a file grows; at least the longest line written to it.</param>
    /// <param name="files">How many files are kept, the current one included (at least 1).</param>
    public RotatingLogFile(string path, long maxBytes, int files)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(files, 1);
        _path = path;
        _maxBytes = maxBytes;
        _files = files;
        _stream = Open(path);
    }

    /// <summary>Appends <paramref name="line"/> and flushes it, so readers follow the file live; rotates first if it would not fit.</summary>
    public void Append(ReadOnlySpan<byte> line)
    {
        if (_stream.Position > 0 && _stream.Position + line.Length > _maxBytes)
        {
            Rotate();
        }

        _stream.Write(line);
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private void Rotate()
    {
        _stream.Dispose();
        for (int index = _files - 1; index >= 1; index--)
        {
            string older = index == 1 ? _path : Numbered(index - 1);
            if (File.Exists(older))
            {
                File.Move(older, Numbered(index), overwrite: true);
            }
        }

        File.Delete(_path); // only still there when a single file is kept
        _stream = Open(_path);
    }

    private string Numbered(int index) => $"{_path}.{index}";

    private static FileStream Open(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
}
