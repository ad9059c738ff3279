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
    private readonly NetworkStream _stream;
    private readonly BufferedStream _reader;
    private readonly MemoryStream _command = new();

    private RespConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new BufferedStream(_stream, 4096);
    }

    /// <summary>Connects, waiting at most <paramref name="timeout"/> to connect and then for each answer.</summary>
    /// <exception cref="SocketException">Redis cannot be reached.</exception>
    public static RespConnection Open(EndPoint endpoint, TimeSpan timeout)
    {
        var socket = new Socket(endpoint.AddressFamily == AddressFamily.Unspecified ? AddressFamily.InterNetwork : endpoint.AddressFamily,
            SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connecting = new CancellationTokenSource(timeout);
            socket.ConnectAsync(endpoint, connecting.Token).AsTask().GetAwaiter().GetResult();
            socket.ReceiveTimeout = socket.SendTimeout = (int)timeout.TotalMilliseconds;
            return new RespConnection(socket);
        }
        catch (OperationCanceledException e)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut, $"connecting to {endpoint} timed out: {e.Message}");
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
        _command.SetLength(0);
        WriteLine('*', arguments.Length);
        foreach (string argument in arguments)
        {
            WriteLine('$', Encoding.UTF8.GetByteCount(argument));
            byte[] bytes = Encoding.UTF8.GetBytes(argument);
            _command.Write(bytes);
            _command.Write("\r\n"u8);
        }

        _stream.Write(_command.GetBuffer(), 0, (int)_command.Length);
        return ReadAnswer();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
        _command.Dispose();
    }

    private void WriteLine(char kind, int value)
    {
        Span<byte> line = stackalloc byte[16];
        line[0] = (byte)kind;
        Utf8Formatter.TryFormat(value, line[1..], out int written);
        line[1 + written] = (byte)'\r';
        line[2 + written] = (byte)'\n';
        _command.Write(line[..(3 + written)]);
    }

    private string? ReadAnswer()
    {
        string line = ReadLine();
        return line[0] switch
        {
            '+' or ':' => line[1..],
            '-' => throw new RespErrorException(line[1..]),
            '$' when line == "$-1" => null,
            '$' => ReadBulk(int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)),
            _ => throw new IOException($"Redis sent an answer this client does not read: '{line}'"),
        };
    }

    private string ReadBulk(int length)
    {
        byte[] bytes = new byte[length + 2];
        _reader.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes, 0, length);
    }

    private string ReadLine()
    {
        var line = new StringBuilder();
        for (int b = _reader.ReadByte(); b != '\n'; b = _reader.ReadByte())
        {
            if (b < 0)
            {
                throw new IOException("Redis closed the connection");
            }

            if (b != '\r')
            {
                line.Append((char)b);
            }
        }

        return line.Length > 0 ? line.ToString() : throw new IOException("Redis sent an empty line");
    }
}

/// <summary>Redis answered a command with an error (<c>-ERR ...</c>, <c>-NOSCRIPT ...</c>).</summary>
internal sealed class RespErrorException(string message) : Exception(message)
{
    /// <summary>The error's first word: ERR, NOSCRIPT, LOADING...</summary>
    public string Kind => Message.Split(' ', 2)[0];
}
