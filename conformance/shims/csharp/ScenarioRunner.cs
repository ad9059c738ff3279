using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Testbed.Protocol.Client;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Tl;

namespace Testbed.Shims.CSharp;

/// <summary>
/// Runs a scenario's steps with <see cref="MtProtoClient"/> (docs/client-shims.md, "Steps") and reports what the
/// library delivered. Each step waits at most <c>--step-seconds</c>; a ping or rpc that fails because the connection
/// closed is retried once on a new connection with the same key and session, as an application would. Updates are
/// reported whenever the library hands them over, not only while idle.
/// </summary>
internal sealed class ScenarioRunner(ShimArguments args, RsaPublicKey serverKey)
{
    private MtProtoClient? _client;
    private Task _updatePump = Task.CompletedTask;

    private TimeSpan StepTime => TimeSpan.FromSeconds(args.StepSeconds);

    /// <summary>Every step in order; stops early only when the handshake fails. Closes the client at the end.</summary>
    public async Task RunAsync()
    {
        try
        {
            foreach (string step in args.Scenario)
            {
                if (!await RunStepAsync(step).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        finally
        {
            if (_client is not null)
            {
                await _client.DisposeAsync().ConfigureAwait(false);
            }

            await _updatePump.ConfigureAwait(false);
            ShimOutput.Emit("closed");
        }
    }

    /// <summary>The step names this shim knows (with their argument's form).</summary>
    public static bool IsKnownStep(string step) => step.Split(':') switch
    {
        ["handshake"] or ["rpc"] => true,
        ["ping" or "idle", string n] => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out _),
        _ => false,
    };

    private async Task<bool> RunStepAsync(string step)
    {
        string[] parts = step.Split(':');
        string name = parts[0];
        try
        {
            switch (name)
            {
                case "handshake":
                    await HandshakeAsync().ConfigureAwait(false);
                    break;
                case "ping":
                    for (long id = 1; id <= int.Parse(parts[1], CultureInfo.InvariantCulture); id++)
                    {
                        await PingAsync(id).ConfigureAwait(false);
                    }

                    break;
                case "rpc":
                    await RetriedOnceAsync(RpcAsync).ConfigureAwait(false);
                    break;
                default:
                    await Task.Delay(TimeSpan.FromSeconds(int.Parse(parts[1], CultureInfo.InvariantCulture))).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ShimOutput.Error(name, Describe(e));
            return name != "handshake";
        }

        return true;
    }

    private async Task HandshakeAsync()
    {
        using var deadline = new CancellationTokenSource(StepTime);
        IPacketTransport transport = await ShimTransports.ConnectAsync(args, deadline.Token).ConfigureAwait(false);
        try
        {
            _client = await MtProtoClient.ConnectAsync(transport, serverKey,
                new HandshakeClientOptions { DataCenter = args.DataCenter, Faults = args.Faults }, cancel: deadline.Token).ConfigureAwait(false);
        }
        catch
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        ShimOutput.Emit("auth_key", new JsonObject { ["id"] = ((ulong)_client.AuthKey.Id).ToString("x16", CultureInfo.InvariantCulture) });
        _updatePump = PumpUpdatesAsync(_client);
    }

    /// <summary>One ping and its pong; an error line if no pong came (after one reconnect if the connection closed).</summary>
    private async Task PingAsync(long id)
    {
        try
        {
            await RetriedOnceAsync(async cancel =>
            {
                TlObject pong = await Client.RequestAsync(new TlObject(TlSchema.Testbed["ping"], id), cancel).ConfigureAwait(false);
                ShimOutput.Emit("pong", new JsonObject { ["ping_id"] = pong.Get<long>("ping_id").ToString(CultureInfo.InvariantCulture) });
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ShimOutput.Error("ping", $"ping {id}: {Describe(e)}");
        }
    }

    private async Task RpcAsync(CancellationToken cancel)
    {
        try
        {
            TlObject result = await Client.InvokeAsync(new TlObject(TlSchema.Testbed["help.getNearestDc"]), cancel).ConfigureAwait(false);
            var fields = new JsonObject { ["name"] = result.Combinator.Name };
            foreach ((string field, object? value) in result.Combinator.Parameters.Select(p => p.Name).Zip(result.Values))
            {
                fields[field] = value switch
                {
                    byte[] text => Encoding.UTF8.GetString(text),
                    int number => number,
                    long number => number,
                    _ => value?.ToString(),
                };
            }

            ShimOutput.Emit("rpc_result", fields);
        }
        catch (RpcException e)
        {
            ShimOutput.Emit("rpc_error", new JsonObject { ["code"] = e.Code, ["message"] = e.ErrorMessage });
        }
    }

    /// <summary>
    /// Runs <paramref name="attempt"/> within the step time; if it fails because the connection closed, moves the
    /// session to a new connection (same key, same session) and runs it once more.
    /// </summary>
    private async Task RetriedOnceAsync(Func<CancellationToken, Task> attempt)
    {
        try
        {
            using var deadline = new CancellationTokenSource(StepTime);
            await attempt(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionClosed(e))
        {
            using var deadline = new CancellationTokenSource(StepTime);
            await Client.ReconnectAsync(await ShimTransports.ConnectAsync(args, deadline.Token).ConfigureAwait(false)).ConfigureAwait(false);
            await attempt(deadline.Token).ConfigureAwait(false);
        }
    }

    private MtProtoClient Client => _client ?? throw new InvalidOperationException("no auth key: the handshake did not succeed");

    /// <summary>Reports each update the library delivers, until the client is closed.</summary>
    private static async Task PumpUpdatesAsync(MtProtoClient client)
    {
        await foreach (TlObject update in client.Updates.ReadAllAsync().ConfigureAwait(false))
        {
            var fields = new JsonObject { ["name"] = update.Combinator.Name };
            if (update.Combinator.Parameters.Any(p => p.Name == "date") && update["date"] is int date)
            {
                fields["date"] = date;
            }

            ShimOutput.Emit("update", fields);
        }
    }

    private static bool IsConnectionClosed(Exception e) =>
        e is IOException or ObjectDisposedException or SocketException or WebSocketException;

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "no answer within the step time",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
