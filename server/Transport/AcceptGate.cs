using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Testbed.Server.Transport;

/// <summary>
/// Counts every socket Kestrel accepts, on both listeners, from the moment it is accepted until Kestrel has disposed of
/// it, and closes a new socket at once when the count is at the descriptor budget. <see cref="ConnectionAdmission"/>
/// alone does not bound descriptors: it runs as connection middleware, on the thread pool, after Kestrel's accept loop
/// has already taken the socket, and that loop never waits for it. Under a flood on a slow machine the sockets accepted
/// and not yet admitted, with those refused or evicted and not yet closed, piled up past the admission cap: the soak
/// suite saw 980 of 1,024 descriptors in use on this machine, and CI's slower cores took the process to the limit, where
/// the runtime aborts ("Out of memory.", exit 134). Thread-safe.
/// </summary>
internal sealed class AcceptGate(int sockets)
{
    private int _open;
    private long _refused;

    /// <summary>The sockets the server may hold at once: <see cref="DescriptorLimit.SocketBudget"/>.</summary>
    public int Sockets => sockets;

    /// <summary>Sockets accepted and not yet disposed of.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>Since start: sockets closed as soon as they were accepted because the budget was in use.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Wraps Kestrel's transport so that every listener it binds passes its sockets through this gate.</summary>
    public IConnectionListenerFactory Around(IConnectionListenerFactory transport) => new GatedFactory(this, transport);

    private bool TryTake()
    {
        if (Interlocked.Increment(ref _open) <= sockets)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        Interlocked.Increment(ref _refused);
        return false;
    }

    private void GiveBack() => Interlocked.Decrement(ref _open);

    private sealed class GatedFactory(AcceptGate gate, IConnectionListenerFactory transport) : IConnectionListenerFactory, IConnectionListenerFactorySelector
    {
        public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
            new GatedListener(gate, await transport.BindAsync(endpoint, cancellationToken));

        public bool CanBind(EndPoint endpoint) => transport is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);
    }

    private sealed class GatedListener(AcceptGate gate, IConnectionListener listener) : IConnectionListener
    {
        public EndPoint EndPoint => listener.EndPoint;

        /// <summary>The next socket within the budget; those beyond it are closed here, before Kestrel queues any work for them.</summary>
        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (await listener.AcceptAsync(cancellationToken) is { } accepted)
            {
                if (gate.TryTake())
                {
                    return new CountedConnection(gate, accepted);
                }

                accepted.Abort(new ConnectionAbortedException("at the descriptor budget"));
                await accepted.DisposeAsync();
            }

            return null;
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => listener.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => listener.DisposeAsync();
    }

    /// <summary>A transport connection that gives its place in the budget back once its socket is disposed of (once).</summary>
    private sealed class CountedConnection(AcceptGate gate, ConnectionContext inner) : ConnectionContext
    {
        private int _disposed;

        public override string ConnectionId { get => inner.ConnectionId; set => inner.ConnectionId = value; }

        public override IFeatureCollection Features => inner.Features;

        public override IDictionary<object, object?> Items { get => inner.Items; set => inner.Items = value; }

        public override IDuplexPipe Transport { get => inner.Transport; set => inner.Transport = value; }

        public override CancellationToken ConnectionClosed { get => inner.ConnectionClosed; set => inner.ConnectionClosed = value; }

        public override EndPoint? LocalEndPoint { get => inner.LocalEndPoint; set => inner.LocalEndPoint = value; }

        public override EndPoint? RemoteEndPoint { get => inner.RemoteEndPoint; set => inner.RemoteEndPoint = value; }

        public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    gate.GiveBack();
                }

                await base.DisposeAsync();
            }
        }
    }
}
