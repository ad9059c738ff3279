using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Timing;

/// <summary>
/// A persistent MTProto TCP connection timed as close to the socket as a managed program gets: blocking send and
/// receive on the sampler's thread, no async continuation, no thread-pool hop, Nagle off, and the monotonic clock read
/// right before the send and right after the receive that completes the answer. One connection carries every sample, so
/// no connection set-up (a TCP handshake, an accept, a thread-pool dispatch) lands inside a measurement.
/// </summary>
internal sealed class SocketTimedChannel : ITimedChannel
{
    private readonly Socket _socket;
    private readonly FrameWriter _writer;
    private readonly FrameReader _reader;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly ArrayBufferWriter<byte> _frame = new(1024);

    private SocketTimedChannel(Socket socket, TransportFraming framing)
    {
        _socket = socket;
        _writer = new FrameWriter(framing);
        _reader = new FrameReader(framing);
    }

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and sends the framing's marker (unobfuscated).</summary>
    public static SocketTimedChannel Connect(string host, int port, TransportFraming framing)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = (int)Probe.AnswerTimeout.TotalMilliseconds };
        try
        {
            socket.Connect(host, port);
            socket.Send(FramingDetector.Marker(framing));
            return new SocketTimedChannel(socket, framing);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public long Exchange(byte[] packet, out int answer)
    {
        _frame.ResetWrittenCount();
        _writer.Write(packet, _frame); // reused: no allocation, so no collection, between the samples' timestamps
        int buffered = 0;
        long started = Stopwatch.GetTimestamp();
        try
        {
            _socket.Send(_frame.WrittenSpan);
            while (true)
            {
                int read = _socket.Receive(_buffer, buffered, _buffer.Length - buffered, SocketFlags.None);
                if (read == 0)
                {
                    throw new IOException("the server closed the connection");
                }

                buffered += read;
                FrameReadResult result = _reader.TryRead(_buffer.AsSpan(0, buffered));
                if (result.Status == FrameStatus.NeedMoreData && buffered < _buffer.Length)
                {
                    continue;
                }

                long elapsed = Stopwatch.GetTimestamp() - started;
                answer = result.Status != FrameStatus.Frame ? 0
                    : result.PayloadLength is >= 4 and < MessageEnvelope.WireHeaderSize ? BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(result.PayloadOffset))
                    : result.PayloadLength;
                if (result.Status != FrameStatus.Frame || result.Consumed != buffered)
                {
                    throw new IOException($"the server's answer is not one frame in the {_reader.Framing} framing");
                }

                return elapsed * 1_000_000_000 / Stopwatch.Frequency;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            throw new IOException($"no answer within {Probe.AnswerTimeout.TotalSeconds:F0} s", e);
        }
        catch (SocketException e)
        {
            throw new IOException(e.Message, e);
        }
    }

    public void Dispose() => _socket.Dispose();
}
