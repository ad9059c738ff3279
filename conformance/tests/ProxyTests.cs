using System.Net;
using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Conformance.Lab.Proxy;
using Testbed.Protocol.Transport;
using Testbed.Server.Tests;

namespace Testbed.Conformance.Tests;

/// <summary>The intercepting proxy's rules, checked against an upstream that records the frames it receives.</summary>
public sealed class ProxyTests
{
    [Theory]
    [InlineData("c2s:1:hold=2", "2,3,1,4,5")]
    [InlineData("c2s:2:drop", "1,3,4,5")]
    [InlineData("c2s:3:duplicate", "1,2,3,3,4,5")]
    [InlineData("c2s:1:replay-after=3", "1,2,3,4,1,5")]
    [InlineData("s2c:*:drop", "1,2,3,4,5")]
    public async Task Each_rule_does_what_it_says_to_the_packets_the_server_receives(string rule, string expected)
    {
        using var upstream = new RecordingUpstream();
        using var capture = new Capture(null, "test", "test");
        await using var proxy = TcpInterceptingProxy.Start(new IPEndPoint(IPAddress.Loopback, 0),
            new DnsEndPoint("127.0.0.1", upstream.Port), new ProxyCore(capture, [ProxyRule.Parse(rule, out _)!]));
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Endpoint);
        var writer = new FrameWriter(TransportFraming.Intermediate);
        byte[] stream = [.. FramingDetector.Marker(TransportFraming.Intermediate), .. Enumerable.Range(1, 5).SelectMany(i => writer.Frame(BitConverter.GetBytes(i)))];
        await client.GetStream().WriteAsync(stream);
        int expectedCount = expected.Split(',').Length;
        string received = await upstream.WaitForAsync(expectedCount);
        Assert.Equal(expected, received);
        Assert.Contains(capture.Records, r => r.Event == "open" && r.Detail == "tcp Intermediate");
    }

    /// <summary>A capture prints auth_key_id as the rest of the testbed does (docs/protocol.md §2.2): the value, not the wire order.</summary>
    [Property]
    public bool A_capture_prints_auth_key_id_as_its_64_bit_value(long id, NonNegativeInt extra)
    {
        byte[] payload = new byte[24 + (extra.Get % 64)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(payload, id);
        string? printed = (string?)Capture.ToJson(new CaptureRecord(0, 1, "forwarded", PacketDirection.ClientToServer, 1, null, payload))["auth_key_id"];
        return id == 0 ? printed is null : printed == ((ulong)id).ToString("x16", System.Globalization.CultureInfo.InvariantCulture)
            && printed == Testbed.Protocol.Envelope.AuthKey.FormatId(id);
    }

    [Fact]
    public async Task An_appended_block_reaches_the_server_16_bytes_longer_and_is_captured_as_modified()
    {
        using var upstream = new RecordingUpstream();
        using var capture = new Capture(null, "test", "test");
        await using var proxy = TcpInterceptingProxy.Start(new IPEndPoint(IPAddress.Loopback, 0),
            new DnsEndPoint("127.0.0.1", upstream.Port), new ProxyCore(capture, [ProxyRule.Parse("c2s:1:append-block", out _)!]));
        using var client = new TcpClient();
        await client.ConnectAsync(proxy.Endpoint);
        byte[] stream = [.. FramingDetector.Marker(TransportFraming.Intermediate), .. new FrameWriter(TransportFraming.Intermediate).Frame(new byte[32])];
        await client.GetStream().WriteAsync(stream);
        await upstream.WaitForAsync(1);
        Assert.Equal(48, upstream.Lengths.Single());
        Assert.Contains(capture.Records, r => r.Event == "modified" && r.Payload!.Length == 48);
    }

    [Fact]
    public async Task The_web_proxy_carries_a_handshake_over_http_and_serves_the_page_untouched()
    {
        await using RunningServer server = await RunningServer.StartAsync();
        using var capture = new Capture(null, "test", server.HttpBase.ToString());
        await using WebInterceptingProxy proxy = await WebInterceptingProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), server.HttpBase,
            new ProxyCore(capture, []));
        var target = new Testbed.Conformance.Harness.Target(new Uri($"http://127.0.0.1:{proxy.Port}/api"), TransportFraming.Intermediate, server.PublicKey, 1);
        await Testbed.Conformance.Harness.SharedKey.CreateAsync(target, CancellationToken.None);

        Assert.True(capture.Packets(PacketDirection.ClientToServer).Count >= 4, "the handshake's three steps and a ping go through the proxy");
        Assert.Equal(capture.Packets(PacketDirection.ClientToServer).Count, capture.Packets(PacketDirection.ServerToClient).Count);
        using var http = new HttpClient();
        Assert.Equal(await http.GetStringAsync(new Uri(server.HttpBase, "/schema/chat.tl")),
            await http.GetStringAsync(new Uri($"http://127.0.0.1:{proxy.Port}/schema/chat.tl")));
    }

    [Theory]
    [InlineData(TransportFraming.Abridged)]
    [InlineData(TransportFraming.PaddedIntermediate)]
    public async Task The_proxy_strips_an_obfuscated_connection_and_captures_its_plain_frames(TransportFraming framing)
    {
        await using RunningServer server = await RunningServer.StartAsync();
        using var capture = new Capture(null, "test", "test");
        await using var proxy = TcpInterceptingProxy.Start(new IPEndPoint(IPAddress.Loopback, 0), new DnsEndPoint("127.0.0.1", server.TcpPort),
            new ProxyCore(capture, [ProxyRule.Parse("c2s:4:duplicate", out _)!]));
        var target = new Testbed.Conformance.Harness.Target(new Uri($"tcp://127.0.0.1:{proxy.Endpoint.Port}"), framing, server.PublicKey, 1)
        {
            Obfuscated = true,
        };
        await Testbed.Conformance.Harness.SharedKey.CreateAsync(target, CancellationToken.None);

        Assert.Contains(capture.Records, r => r.Event == "open" && r.Detail!.StartsWith($"tcp obfuscated {framing}: stripped", StringComparison.Ordinal));
        Assert.True(proxy.Core.Connections.Values.All(c => c.Obfuscated));
        // Plain frames in the capture: the first is req_pq_multi as an unencrypted message (auth_key_id 0), resPQ answers it.
        Assert.True(Testbed.Protocol.Envelope.UnencryptedMessage.IsUnencrypted(capture.Packets(PacketDirection.ClientToServer)[0].Payload));
        Assert.True(Testbed.Protocol.Envelope.UnencryptedMessage.IsUnencrypted(capture.Packets(PacketDirection.ServerToClient)[0].Payload));
        Assert.Contains(capture.Records, r => r.Event == "duplicated"); // a packet added mid-stream: the re-encrypted streams stay in step
    }

    [Property]
    public Property A_rule_reads_back_from_its_own_text(bool up, PositiveInt index, bool everyPacket, PositiveInt argument, byte action)
    {
        var rule = new ProxyRule(up ? PacketDirection.ClientToServer : PacketDirection.ServerToClient, everyPacket ? null : index.Get,
            (RuleAction)(action % 6), (RuleAction)(action % 6) is RuleAction.Delay or RuleAction.Hold or RuleAction.ReplayAfter ? argument.Get : 0);
        return (ProxyRule.Parse(rule.ToString(), out string? problem) == rule && problem is null).ToProperty();
    }

    [Theory]
    [InlineData("c2s:3", "expected DIR:INDEX:ACTION")]
    [InlineData("up:3:drop", "the direction must be c2s or s2c")]
    [InlineData("c2s:0:drop", "the index must be a packet number from 1")]
    [InlineData("c2s:1:explode", "unknown action 'explode'")]
    [InlineData("c2s:1:hold", "needs a positive number")]
    [InlineData("c2s:1:drop=3", "takes no argument")]
    [InlineData("c2s:1:delay=-5", "needs a positive number")]
    public void A_bad_rule_is_refused_with_a_message_that_says_why(string text, string message)
    {
        Assert.Null(ProxyRule.Parse(text, out string? problem));
        Assert.Contains(message, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_file_reads_back_and_anything_else_is_refused_with_its_line()
    {
        string path = Path.GetTempFileName();
        try
        {
            using (var capture = new Capture(path, "127.0.0.1:1", "127.0.0.1:2"))
            {
                capture.Add(1, "open", detail: "tcp Intermediate");
                capture.Add(1, "forwarded", PacketDirection.ClientToServer, 1, null, [1, 2, 3, 4]);
            }

            IReadOnlyList<CaptureRecord> records = Capture.Read(path);
            Assert.Equal(["open", "forwarded"], records.Select(r => r.Event));
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, records[1].Payload);
            File.AppendAllText(path, "{\"t_us\":1}\n");
            Assert.Contains(":4: not a capture record", Assert.Throws<InvalidDataException>(() => Capture.Read(path)).Message, StringComparison.Ordinal);
            File.WriteAllText(path, "{}\n");
            Assert.Contains("is not a mtproto-testbed-capture file", Assert.Throws<InvalidDataException>(() => Capture.Read(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A server that reads intermediate frames and notes each 4-byte payload's number, in arrival order.</summary>
    private sealed class RecordingUpstream : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<int> _numbers = [];
        private readonly Task _serving;

        public RecordingUpstream()
        {
            _listener.Start();
            _serving = ServeAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public List<int> Lengths { get; } = [];

        public async Task<string> WaitForAsync(int count)
        {
            for (int waited = 0; waited < 5000; waited += 10)
            {
                lock (_numbers)
                {
                    if (_numbers.Count >= count)
                    {
                        break;
                    }
                }

                await Task.Delay(10);
            }

            await Task.Delay(100); // anything beyond the expected would arrive now
            lock (_numbers)
            {
                return string.Join(",", _numbers);
            }
        }

        private async Task ServeAsync()
        {
            using TcpClient client = await _listener.AcceptTcpClientAsync();
            NetworkStream stream = client.GetStream();
            var reader = new FrameReader(TransportFraming.Intermediate);
            var buffer = new FrameBuffer(1 << 16);
            byte[] chunk = new byte[4096];
            bool markerSkipped = false;
            int n;
            while ((n = await stream.ReadAsync(chunk)) > 0)
            {
                buffer.Append(chunk.AsSpan(0, n));
                if (!markerSkipped && buffer.Count >= 4)
                {
                    buffer.Consume(4);
                    markerSkipped = true;
                }

                while (markerSkipped && buffer.TakeFrame(reader) is { } frame)
                {
                    lock (_numbers)
                    {
                        Lengths.Add(frame.Length);
                        _numbers.Add(BitConverter.ToInt32(frame));
                    }
                }
            }
        }

        public void Dispose()
        {
            _listener.Stop();
            _ = _serving.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }
}
