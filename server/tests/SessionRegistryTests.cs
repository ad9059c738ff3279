using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;
using Testbed.Server.Sessions;

namespace Testbed.Server.Tests;

/// <summary>
/// The registry's floor for new sessions (docs/protocol.md §3.4) and its bounds (docs/server.md "Memory bounds"), on a
/// clock the tests move.
/// </summary>
public sealed class SessionRegistryTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly MemoryBounds Bounds = MemoryBounds.Default with { MaxSessions = 3 };

    private sealed class StoppedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Theory]
    [InlineData(-86_400, AdmissionAction.Refuse)] // a key from before the start: its sessions' history was lost with it
    [InlineData(1, AdmissionAction.Process)] // a key made since the start: no history from before it to replay
    public void The_start_is_a_floor_only_for_keys_older_than_it(int keyCreatedSeconds, AdmissionAction expected)
    {
        var registry = new SessionRegistry(AdmissionPolicy.Hardened, new StoppedClock(Start));
        using AuthKey key = NewKey();
        ServerSession session = registry.GetOrCreate(key.Id, key, sessionId: 1, Start.AddSeconds(keyCreatedSeconds));

        // A client whose clock lags the server's by half a second, as one that took its offset from server_time does.
        var header = new EnvelopeHeader(0, 1, MsgId.FromTime(Start.AddMilliseconds(-500)) & ~3L, 1);
        AdmissionVerdict verdict = session.Admission.Check(header, contentRelated: true, saltAccepted: true, Start);
        Assert.Equal(expected, verdict.Action);
        Assert.Equal(expected == AdmissionAction.Refuse ? BadMsgCode.MessageTooOld : null, verdict.Code);
    }

    [Fact]
    public void A_session_unused_for_the_idle_time_is_evicted_when_the_registry_is_next_used()
    {
        (StoppedClock clock, SessionRegistry registry, AuthKey key, ServerSession idle) = Started(Bounds);
        using AuthKey disposed = key;
        clock.Now += Bounds.SessionIdle / 2;
        ServerSession used = registry.GetOrCreate(key.Id, key, 2, Start);
        clock.Now += Bounds.SessionIdle / 2 + TimeSpan.FromSeconds(1);

        registry.GetOrCreate(key.Id, key, 3, Start);
        Assert.Equal(2, registry.Count);
        Assert.True(idle.Retired);
        Assert.DoesNotContain(idle, registry.SessionsOf(key.Id));
        Assert.Same(used, registry.GetOrCreate(key.Id, key, 2, Start));
    }

    [Fact]
    public void Past_the_cap_the_least_recently_used_session_of_any_key_is_evicted()
    {
        (_, SessionRegistry registry, AuthKey first, ServerSession oldest) = Started(Bounds);
        using AuthKey disposed = first;
        using AuthKey second = NewKey();
        ServerSession leastRecent = registry.GetOrCreate(first.Id, first, 2, Start);
        registry.GetOrCreate(second.Id, second, 1, Start);
        Assert.Same(oldest, registry.GetOrCreate(first.Id, first, 1, Start)); // now 2 is the least recently used

        registry.GetOrCreate(second.Id, second, 2, Start);
        Assert.Equal(3, registry.Count);
        Assert.True(leastRecent.Retired);
        Assert.False(oldest.Retired);
    }

    [Fact]
    public void A_session_in_use_on_another_thread_is_evicted_only_once_it_is_free()
    {
        (_, SessionRegistry registry, AuthKey key, ServerSession busy) = Started(Bounds with { MaxSessions = 1 });
        using AuthKey disposed = key;
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            lock (busy.Lock)
            {
                entered.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }
        });
        holder.Start();
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));

        ServerSession other = registry.GetOrCreate(key.Id, key, 2, Start);
        Assert.Equal(2, registry.Count); // past the cap while the oldest is busy
        Assert.False(busy.Retired);
        release.Set();
        holder.Join();

        registry.GetOrCreate(key.Id, key, 3, Start);
        Assert.Equal(1, registry.Count);
        Assert.True(busy.Retired);
        Assert.True(other.Retired);
    }

    /// <summary>
    /// The safety property of eviction: a message a session processed before it was evicted is refused (20) by the
    /// session made again under the same session_id, as is every msg_id below it; a later one is processed.
    /// </summary>
    [Theory]
    [InlineData("idle")]
    [InlineData("cap")]
    public void A_message_processed_before_eviction_is_refused_by_the_session_made_again(string eviction)
    {
        (StoppedClock clock, SessionRegistry registry, AuthKey key, ServerSession before) = Started(Bounds with { SessionIdle = TimeSpan.FromSeconds(60) });
        using AuthKey disposed = key;
        EnvelopeHeader processed = ProcessOne(before);

        if (eviction == "idle")
        {
            clock.Now += TimeSpan.FromSeconds(61);
        }

        for (long other = 2; other <= 4; other++)
        {
            registry.GetOrCreate(key.Id, key, other, Start);
        }

        Assert.True(before.Retired);
        ServerSession again = registry.GetOrCreate(key.Id, key, 1, Start);
        Assert.NotSame(before, again);
        AdmissionVerdict replay = again.Admission.Check(processed, contentRelated: true, saltAccepted: true, clock.Now);
        Assert.Equal((AdmissionAction.Refuse, BadMsgCode.MessageTooOld), (replay.Action, replay.Code));
        var later = new EnvelopeHeader(0, 1, MsgId.FromTime(clock.Now.AddSeconds(1)) & ~3L, 3);
        Assert.Equal(AdmissionAction.Process, again.Admission.Check(later, contentRelated: true, saltAccepted: true, clock.Now).Action);
    }

    /// <summary>
    /// A key's floor is dropped once the time window refuses everything below it (16), twice that window after it was
    /// raised, so the floors do not grow with every key ever used; the replay is still refused, by the time window.
    /// </summary>
    [Fact]
    public void A_floor_is_dropped_once_the_time_window_refuses_all_below_it()
    {
        (StoppedClock clock, SessionRegistry registry, AuthKey key, ServerSession before) = Started(Bounds);
        using AuthKey disposed = key;
        EnvelopeHeader processed = ProcessOne(before);
        Assert.True(registry.Remove(key.Id, 1));
        Assert.Equal(1, registry.FloorCount);

        clock.Now += 2 * AdmissionPolicy.Hardened.MaxPast - TimeSpan.FromSeconds(1);
        registry.GetOrCreate(key.Id, key, 2, Start);
        Assert.Equal(1, registry.FloorCount);

        clock.Now += TimeSpan.FromSeconds(2);
        ServerSession again = registry.GetOrCreate(key.Id, key, 1, Start);
        Assert.Equal(0, registry.FloorCount);
        AdmissionVerdict replay = again.Admission.Check(processed, contentRelated: true, saltAccepted: true, clock.Now);
        Assert.Equal((AdmissionAction.Refuse, BadMsgCode.MsgIdTooLow), (replay.Action, replay.Code));
    }

    /// <summary>A registry at <see cref="Start"/> and session 1 of a new key in it.</summary>
    private static (StoppedClock Clock, SessionRegistry Registry, AuthKey Key, ServerSession First) Started(MemoryBounds bounds)
    {
        var clock = new StoppedClock(Start);
        var registry = new SessionRegistry(AdmissionPolicy.Hardened, clock, bounds);
        AuthKey key = NewKey();
        return (clock, registry, key, registry.GetOrCreate(key.Id, key, 1, Start));
    }

    /// <summary>Admits and records a message sent at <see cref="Start"/>, as the processor does.</summary>
    private static EnvelopeHeader ProcessOne(ServerSession session)
    {
        var header = new EnvelopeHeader(0, 1, MsgId.FromTime(Start) & ~3L, 1);
        Assert.Equal(AdmissionAction.Process, session.Admission.Check(header, contentRelated: true, saltAccepted: true, Start).Action);
        session.Admission.Record(header);
        return header;
    }

    private static AuthKey NewKey() => AuthKey.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(AuthKey.Size));
}
