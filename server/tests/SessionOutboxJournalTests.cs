using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Server.Sessions;

namespace Testbed.Server.Tests;

/// <summary>
/// What a session's outbox tells a cluster's session journal, and how it takes a session over from one
/// (docs/cluster.md, "Sessions across nodes").
/// </summary>
public sealed class SessionOutboxJournalTests
{
    private enum Step { AddKept, AddUnkept, Acknowledge, TakeDue, Write }

    private static readonly Gen<(Step Step, int Pick)[]> Runs =
        Gen.Zip(Gen.Elements(Enum.GetValues<Step>()), Gen.Choose(0, 1000)).ArrayOf();

    /// <summary>
    /// A journal that applies every change the outbox reports holds exactly the outbox's messages kept until
    /// acknowledged, whatever was added, acknowledged, sent or written in between.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property A_journal_fed_its_changes_holds_the_kept_messages() =>
        Prop.ForAll(Runs.ToArbitrary(), run =>
        {
            var outbox = new SessionOutbox(TimeProvider.System);
            outbox.TrackChanges();
            var journal = new SortedSet<long>();
            var all = new List<OutgoingMessage>();
            foreach ((Step step, int pick) in run)
            {
                switch (step)
                {
                    case Step.AddKept or Step.AddUnkept:
                        all.Add(outbox.Add([1, 2, 3, 4], contentRelated: true, keepUntilAcked: step == Step.AddKept));
                        break;
                    case Step.Acknowledge when all.Count > 0:
                        outbox.Acknowledge([all[pick % all.Count].MsgId]);
                        break;
                    case Step.TakeDue:
                        outbox.TakeDue(DateTimeOffset.UtcNow);
                        break;
                    case Step.Write:
                        Apply(outbox, journal);
                        break;
                }
            }

            Apply(outbox, journal);
            long[] kept = [.. all.Where(m => m.KeepUntilAcked && outbox.Find(m.MsgId) is not null).Select(m => m.MsgId)];
            return journal.SetEquals(kept).Label($"journal [{string.Join(", ", journal)}], kept [{string.Join(", ", kept)}]");
        });

    [Fact]
    public void Taking_a_session_over_replaces_the_kept_messages_keeps_what_is_unsent_and_continues_the_counters()
    {
        var outbox = new SessionOutbox(TimeProvider.System);
        OutgoingMessage stale = outbox.Add([1], contentRelated: true, keepUntilAcked: true);
        OutgoingMessage refusal = outbox.Add([2], contentRelated: false, keepUntilAcked: false);
        long elsewhere = outbox.MsgIds.Last + 4_000_000;
        var fromJournal = new OutgoingMessage(elsewhere, 41, [3], KeepUntilAcked: true);

        outbox.Restore([fromJournal], contentRelatedSent: 30, lastMsgId: elsewhere + 4);

        Assert.Null(outbox.Find(stale.MsgId));
        Assert.Same(refusal, outbox.Find(refusal.MsgId));
        Assert.Same(fromJournal, outbox.Find(elsewhere));
        OutgoingMessage next = outbox.Add([4], contentRelated: true, keepUntilAcked: false);
        Assert.Equal((61, true), (next.SeqNo, next.MsgId > elsewhere + 4));
        Assert.Equal([refusal.MsgId, elsewhere, next.MsgId], outbox.TakeDue(DateTimeOffset.UtcNow).Select(m => m.MsgId));
    }

    private static void Apply(SessionOutbox outbox, SortedSet<long> journal)
    {
        (IReadOnlyList<OutgoingMessage> added, IReadOnlyList<long> removed) = outbox.TakeChanges();
        journal.UnionWith(added.Select(m => m.MsgId));
        journal.ExceptWith(removed);
    }
}
