using System.Threading.Channels;
using Testbed.Protocol.Client;

namespace Testbed.Server.Tests.Cluster;

/// <summary>
/// HTTP to a cluster as a balancer that keeps no connection would carry it: each POST goes to the next node in turn,
/// so that consecutive requests of one client, the handshake's steps among them, always reach different nodes.
/// </summary>
internal sealed class NodeByNodeHttpTransport(IReadOnlyList<Uri> nodes) : IPacketTransport
{
    private readonly HttpPacketTransport[] _nodes = nodes.Select(uri => new HttpPacketTransport(uri)).ToArray();
    private readonly Channel<byte[]> _answers = Channel.CreateUnbounded<byte[]>();
    private int _next = -1;

    /// <summary>How many POSTs went to each node.</summary>
    public int[] Requests { get; } = new int[nodes.Count];

    public bool IsRequestResponse => true;

    public async Task SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancel = default)
    {
        int node = (int)((uint)Interlocked.Increment(ref _next) % (uint)_nodes.Length);
        Interlocked.Increment(ref Requests[node]);
        await _nodes[node].SendAsync(packet, cancel);
        if (await _nodes[node].ReceiveAsync(cancel) is { } answer)
        {
            _answers.Writer.TryWrite(answer);
        }
    }

    public async Task<byte[]?> ReceiveAsync(CancellationToken cancel = default)
    {
        try
        {
            return await _answers.Reader.ReadAsync(cancel);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _answers.Writer.TryComplete();
        foreach (HttpPacketTransport node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
