using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Server.Sessions;

namespace Testbed.Server.Tests;

/// <summary>The registry's floor for new sessions (docs/protocol.md §3.4), on a stopped clock.</summary>
public sealed class SessionRegistryTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    [Theory]
    [InlineData(-86_400, AdmissionAction.Refuse)] // a key from before the start: its sessions' history was lost with it
    [InlineData(1, AdmissionAction.Process)] // a key made since the start: no history from before it to replay
    public void The_start_is_a_floor_only_for_keys_older_than_it(int keyCreatedSeconds, AdmissionAction expected)
    {
        var registry = new SessionRegistry(AdmissionPolicy.Hardened, new StoppedClock(Start));
        using AuthKey key = AuthKey.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(AuthKey.Size));
        ServerSession session = registry.GetOrCreate(key.Id, key, sessionId: 1, Start.AddSeconds(keyCreatedSeconds));

        // A client whose clock lags the server's by half a second, as one that took its offset from server_time does.
        var header = new EnvelopeHeader(0, 1, MsgId.FromTime(Start.AddMilliseconds(-500)) & ~3L, 1);
        AdmissionVerdict verdict = session.Admission.Check(header, contentRelated: true, saltAccepted: true, Start);
        Assert.Equal(expected, verdict.Action);
        Assert.Equal(expected == AdmissionAction.Refuse ? BadMsgCode.MessageTooOld : null, verdict.Code);
    }
}
