using System.Diagnostics;
using System.Net;
using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Soak;

/// <summary>
/// A real client (protocol/Client) checking that the server still serves while it is attacked: each second a fresh
/// TCP connection and a ping; every fifth time a full handshake first, a new key (three handshake messages per five
/// seconds: 36 a minute, well inside the 120 a minute an address is allowed). Every attempt is timed; one that fails
/// or takes more than <see cref="AttemptTimeout"/> counts as failed.
/// </summary>
internal sealed class VictimProbe(ServerUnderTest server, IPAddress from)
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private const int HandshakeEvery = 5;

    private readonly List<double> _latencies = [];
    private byte[]? _key;
    private long _salt;
    private long _pingId;

    /// <summary>Attempts made (by <see cref="RunAsync"/>).</summary>
    public int Total { get; private set; }

    /// <summary>Attempts that connected, (handshook and) got their pong in time.</summary>
    public int Succeeded => _latencies.Count;

    /// <summary>The first failure, for the verdict's reason.</summary>
    public string? FirstFailure { get; private set; }

    /// <summary>The 99th percentile of the successful attempts' durations, in milliseconds (null with none).</summary>
    public double? P99Milliseconds => _latencies.Count == 0
        ? null
        : _latencies.Order().ElementAt((int)Math.Ceiling(0.99 * _latencies.Count) - 1);

    /// <summary>Probes until <paramref name="stop"/>; at most one attempt a second.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var started = Stopwatch.StartNew();
            bool handshake = _key is null || Total % HandshakeEvery == 0;
            Total++;
            (bool ok, string? failure) = await AttemptAsync(handshake);
            if (ok)
            {
                _latencies.Add(started.Elapsed.TotalMilliseconds);
            }
            else
            {
                FirstFailure ??= failure;
            }

            TimeSpan rest = Interval - started.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One attempt, not counted: a fresh connection, a handshake when asked (or when no key is known yet) and a ping.</summary>
    public async Task<(bool Ok, string? Failure)> AttemptAsync(bool handshake)
    {
        using var timeout = new CancellationTokenSource(AttemptTimeout);
        try
        {
            await using IPacketTransport transport = await TcpPacketTransport.ConnectAsync("127.0.0.1", server.TcpPort, TransportFraming.Intermediate,
                localAddress: from, cancel: timeout.Token);
            await using MtProtoClient client = handshake || _key is null // the client owns the transport; disposing both is harmless
                ? await MtProtoClient.ConnectAsync(transport, server.PublicKey, cancel: timeout.Token)
                : MtProtoClient.Resume(transport, _key, _salt);
            TlObject pong = await client.RequestAsync(new TlObject(TlSchema.Testbed["ping"], ++_pingId), timeout.Token);
            if (pong.Combinator.Name != "pong")
            {
                return (false, $"ping answered with {pong.Combinator.Name}");
            }

            _key = client.AuthKey.Bytes.ToArray();
            _salt = client.Session.Salt;
            return (true, null);
        }
        catch (OperationCanceledException)
        {
            return (false, $"{(handshake ? "handshake and ping" : "ping")} took over {AttemptTimeout.TotalSeconds:0} s");
        }
#pragma warning disable CA1031 // Any failure of the attempt is the finding; the probe goes on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return (false, $"{(handshake ? "handshake" : "ping")}: {e.GetType().Name}: {e.Message}");
        }
    }
}
