using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Testbed.Server.Cluster;

/// <summary>
/// Blocking Redis connections for the replay ledger, one per concurrent caller, kept idle for the next (at most
/// <see cref="MaxIdle"/>). A connection that failed is dropped, and the idle ones with it; after a failed connect the
/// pool fails at once for a second, so that a node facing a dead Redis refuses messages quickly instead of waiting on
/// each.
/// </summary>
internal sealed class RespConnectionPool(EndPoint endpoint, string? password, TimeSpan timeout) : IDisposable
{
    private const int MaxIdle = 64;
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);

    private readonly ConcurrentBag<RespConnection> _idle = [];
    private long _retryAt;

    /// <summary>Runs <paramref name="call"/> on a connection of the pool.</summary>
    /// <exception cref="IOException">Redis could not be reached, or the connection failed.</exception>
    /// <exception cref="RespErrorException">Redis answered with an error (the connection stays usable).</exception>
    public T Use<T>(Func<RespConnection, T> call)
    {
        RespConnection connection = Rent();
        try
        {
            T result = call(connection);
            Return(connection);
            return result;
        }
        catch (RespErrorException)
        {
            Return(connection);
            throw;
        }
        catch
        {
            // A connection fails when Redis went away, and then the idle ones are as dead: they go too, so that a
            // Redis that comes back is reached on new connections, not by one failing call per stale one.
            connection.Dispose();
            DisposeIdle();
            throw;
        }
    }

    public void Dispose() => DisposeIdle();

    private void DisposeIdle()
    {
        while (_idle.TryTake(out RespConnection? connection))
        {
            connection.Dispose();
        }
    }

    private RespConnection Rent()
    {
        if (_idle.TryTake(out RespConnection? idle))
        {
            return idle;
        }

        if (Environment.TickCount64 < Interlocked.Read(ref _retryAt))
        {
            throw new IOException($"Redis at {endpoint} could not be reached less than {RetryAfterFailure.TotalSeconds:F0} s ago");
        }

        try
        {
            RespConnection connection = RespConnection.Open(endpoint, timeout);
            if (password is not null)
            {
                connection.Call("AUTH", password);
            }

            return connection;
        }
        catch (Exception e) when (e is SocketException or IOException or RespErrorException)
        {
            Interlocked.Exchange(ref _retryAt, Environment.TickCount64 + (long)RetryAfterFailure.TotalMilliseconds);
            throw new IOException($"cannot connect to Redis at {endpoint}: {e.Message}", e);
        }
    }

    private void Return(RespConnection connection)
    {
        if (_idle.Count < MaxIdle)
        {
            _idle.Add(connection);
        }
        else
        {
            connection.Dispose();
        }
    }
}
