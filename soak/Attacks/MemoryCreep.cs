using System.Net;
using Testbed.Protocol.Client;
using Testbed.Protocol.Tl;
using Testbed.Protocol.Transport;

namespace Testbed.Soak.Attacks;

/// <summary>
/// Many keys and sessions, then silence (issue 13, finding 6: keys and sessions were never evicted, and RSS stayed at
/// 248 MiB after 5 000 sessions left). Each key is made by a real handshake, then used by several sessions (a fresh
/// session_id on a fresh connection each) with a ping; then every client leaves. The verdict's after-check is the
/// point: RSS back within 1.5× of the baseline.
/// </summary>
internal sealed class MemoryCreep : IAttack
{
    private const int Concurrency = 8;
    private const int KeysPerAddress = 30; // 90 handshake messages: inside an address's 120 a minute
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public string Name => "memory-creep";

    public bool IsSlowloris => false;

    public string Size(SoakScale scale) => $"{scale.MemoryKeys:N0} keys × {scale.SessionsPerKey} sessions, pinged, then left";

    public async Task RunAsync(AttackContext context, CancellationToken cancel)
    {
        int sessions = 0, failures = 0;
        await Parallel.ForAsync(0, context.Scale.MemoryKeys, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (index, _) =>
        {
            if (!cancel.IsCancellationRequested)
            {
                int done = await SessionsOnOneKeyAsync(context, AttackSockets.Attacker(index / KeysPerAddress), context.Scale.SessionsPerKey);
                Interlocked.Add(ref sessions, done);
                Interlocked.Add(ref failures, context.Scale.SessionsPerKey - done);
            }
        });
        context.Note($"{sessions:N0} sessions pinged" + (failures > 0 ? $", {failures:N0} failed" : ""));
    }

    /// <summary>A handshake and a ping, then <paramref name="count"/> − 1 more sessions on the key; returns the sessions that got their pong.</summary>
    private static async Task<int> SessionsOnOneKeyAsync(AttackContext context, IPAddress from, int count)
    {
        byte[]? key = null;
        long salt = 0;
        int done = 0;
        for (int i = 0; i < count; i++)
        {
            using var timeout = new CancellationTokenSource(CallTimeout);
            try
            {
                await using IPacketTransport transport = await TcpPacketTransport.ConnectAsync("127.0.0.1", context.Server.TcpPort,
                    TransportFraming.Intermediate, localAddress: from, cancel: timeout.Token);
                await using MtProtoClient client = key is null
                    ? await MtProtoClient.ConnectAsync(transport, context.Server.PublicKey, cancel: timeout.Token)
                    : MtProtoClient.Resume(transport, key, salt);
                await client.RequestAsync(new TlObject(TlSchema.Testbed["ping"], (long)i), timeout.Token);
                (key, salt) = (client.AuthKey.Bytes.ToArray(), client.Session.Salt);
                done++;
            }
#pragma warning disable CA1031 // A failed session is counted, not fatal: the server's memory is what is measured.
            catch (Exception)
#pragma warning restore CA1031
            {
                if (key is null)
                {
                    return done; // no key, no sessions
                }
            }
        }

        return done;
    }
}
