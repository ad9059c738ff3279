using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Testbed.Server.Cluster;

/// <summary>
/// One blocking connection to Redis that speaks just enough RESP2 for the replay ledger: a command is an array of
/// bulk strings, and its answer a simple string, an error, an integer, a bulk string or nil. The calling thread writes
/// the command and reads the answer itself, so a claim costs one loopback round trip and no thread hand-off: the
/// multiplexed client (StackExchange.Redis) adds about 65 µs to each synchronous call here, three times Redis's own
/// round trip (docs/cluster.md, "Why the ledger has its own connections"). Not thread-safe: one caller at a time.
/// </summary>
internal sealed class RespConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly int _timeoutMicroseconds;
    private byte[] _command = new byte[1024];
    private int _commandLength;
    private readonly byte[] _buffer = new byte[4096];
    private int _start, _end;

    private RespConnection(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _timeoutMicroseconds = (int)timeout.TotalMicroseconds;
    }

    /// <summary>Connects, waiting at most <paramref name="timeout"/> to connect and then for each answer.</summary>
    /// <exception cref="SocketException">Redis cannot be reached.</exception>
    public static RespConnection Open(EndPoint endpoint, TimeSpan timeout)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connecting = new CancellationTokenSource(timeout);
            socket.ConnectAsync(endpoint, connecting.Token).AsTask().GetAwaiter().GetResult();
            return new RespConnection(socket, timeout);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a command and reads its answer: a string (simple, bulk or integer as text) or null (nil).</summary>
    /// <exception cref="RespErrorException">Redis answered with an error.</exception>
    /// <exception cref="IOException">The connection failed or timed out; it is unusable after.</exception>
    public string? Call(params string[] arguments)
    {
        _commandLength = 0;
        WriteLine('*', arguments.Length);
        foreach (string argument in arguments)
        {
            int length = Encoding.UTF8.GetByteCount(argument);
            WriteLine('$', length);
            Span<byte> bulk = Reserve(length + 2);
            Encoding.UTF8.GetBytes(argument, bulk);
            "\r\n"u8.CopyTo(bulk[length..]);
        }

        try
        {
            _socket.Send(_command.AsSpan(0, _commandLength));
            return ReadAnswer();
        }
        catch (SocketException e)
        {
            throw new IOException($"the connection to Redis failed: {e.Message}", e);
        }
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>The next <paramref name="length"/> bytes of the command buffer, grown when needed (commands are built in place, unallocated).</summary>
    private Span<byte> Reserve(int length)
    {
        if (_commandLength + length > _command.Length)
        {
            Array.Resize(ref _command, Math.Max(_command.Length * 2, _commandLength + length));
        }

        _commandLength += length;
        return _command.AsSpan(_commandLength - length, length);
    }

    private void WriteLine(char kind, int value)
    {
        Span<byte> line = stackalloc byte[16];
        line[0] = (byte)kind;
        Utf8Formatter.TryFormat(value, line[1..], out int written);
        line[1 + written] = (byte)'\r';
        line[2 + written] = (byte)'\n';
        line[..(3 + written)].CopyTo(Reserve(3 + written));
    }

    private string? ReadAnswer()
    {
        string line = ReadLine();
        return line[0] switch
        {
            '+' or ':' => line[1..],
            '-' => throw new RespErrorException(line[1..]),
            '$' when line == "$-1" => null,
            '$' when int.TryParse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture, out int length) && length is >= 0 and <= 1 << 20
                => ReadBulk(length),
            _ => throw new IOException($"Redis sent an answer this client does not read: '{line}'"),
        };
    }

    private string ReadBulk(int length)
    {
        byte[] bytes = new byte[length + 2];
        for (int read = 0; read < bytes.Length; read += Take(bytes.AsSpan(read)))
        {
        }

        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    /// <summary>A line without its CR LF; the answers this client reads are short.</summary>
    private string ReadLine()
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline > 0 && _buffer[_start + newline - 1] == '\r')
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, newline - 1);
                _start += newline + 1;
                return line.Length > 0 ? line : throw new IOException("Redis sent an empty line");
            }

            if (_end - _start == _buffer.Length)
            {
                throw new IOException("Redis sent a line longer than this client reads");
            }

            Fill();
        }
    }

    /// <summary>Copies buffered bytes into <paramref name="destination"/>, reading from the socket when none are buffered.</summary>
    private int Take(Span<byte> destination)
    {
        if (_start == _end)
        {
            Fill();
        }

        int count = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }

    /// <summary>
    /// Reads what the socket has, after waiting for it with Poll: a receive timeout on the socket itself would do the
    /// same, but .NET then takes a slower path for every receive (a 15 µs round trip became 57 µs here).
    /// </summary>
    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_start, _end) = (0, _end - _start);
        }

        if (!_socket.Poll(_timeoutMicroseconds, SelectMode.SelectRead))
        {
            throw new IOException($"Redis did not answer within {_timeoutMicroseconds / 1000} ms");
        }

        int received = _socket.Receive(_buffer.AsSpan(_end));
        _end += received > 0 ? received : throw new IOException("Redis closed the connection");
    }
}

/// <summary>Redis answered a command with an error (<c>-ERR ...</c>, <c>-NOSCRIPT ...</c>).</summary>
internal sealed class RespErrorException(string message) : Exception(message)
{
    /// <summary>The error's first word: ERR, NOSCRIPT, LOADING...</summary>
    public string Kind => Message.Split(' ', 2)[0];
}
