using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;

namespace Testbed.Protocol.Tests;

public sealed class SessionAdmissionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A well-behaved client's messages: ids from the clock, seq_nos from the counter.</summary>
    private static EnvelopeHeader[] ClientMessages(params bool[] contentRelated)
    {
        var clock = new FixedClock(Now);
        var ids = new MsgIdGenerator(clock);
        var seq = new SeqNoCounter();
        return contentRelated.Select(c => new EnvelopeHeader(1, 2, ids.Next(MsgIdSender.Client), seq.Next(c))).ToArray();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static AdmissionVerdict Deliver(SessionAdmission admission, EnvelopeHeader header, bool contentRelated = true, bool salt = true)
    {
        AdmissionVerdict verdict = admission.Check(header, contentRelated, salt, Now);
        if (verdict.Action == AdmissionAction.Process)
        {
            admission.Record(header);
        }

        return verdict;
    }

    [Fact]
    public void A_well_behaved_client_is_processed_and_a_replay_is_a_duplicate()
    {
        var admission = new SessionAdmission();
        EnvelopeHeader[] messages = ClientMessages(true, false, true, true);
        Assert.All(messages, m => Assert.Equal(AdmissionAction.Process, Deliver(admission, m, contentRelated: (m.SeqNo & 1) == 1).Action));
        Assert.Equal(AdmissionAction.Duplicate, Deliver(admission, messages[2]).Action);
    }

    [Property]
    public void Ids_from_before_the_session_was_forgotten_are_refused_with_20_and_later_ones_processed(PositiveInt secondsBefore, PositiveInt secondsAfter)
    {
        // A restart (or eviction) forgot what was processed before `floor`; the time window alone would let the
        // captured message in, so the floor refuses it (docs/protocol.md §3.4).
        long floor = MsgId.FromTime(Now.AddSeconds(-100));
        var admission = new SessionAdmission(forgottenBelow: floor);
        long before = MsgId.FromTime(Now.AddSeconds(-101 - (secondsBefore.Get % 190))) & ~3L;
        long after = MsgId.FromTime(Now.AddSeconds(-100 + 1 + (secondsAfter.Get % 120))) & ~3L;
        AdmissionVerdict old = Deliver(admission, new EnvelopeHeader(1, 2, before, 1));
        Assert.Equal((AdmissionAction.Refuse, (BadMsgCode?)BadMsgCode.MessageTooOld), (old.Action, old.Code));
        Assert.Equal(AdmissionAction.Process, Deliver(new SessionAdmission(forgottenBelow: floor), new EnvelopeHeader(1, 2, after, 1)).Action);
        Assert.Equal(AdmissionAction.Process, Deliver(new SessionAdmission(AdmissionPolicy.Hardened with { RefuseBelowWindow = false }, forgottenBelow: floor),
            new EnvelopeHeader(1, 2, before, 1)).Action);
    }

    [Fact]
    public void The_reordering_attack_fails_under_strict_order_and_succeeds_without_it()
    {
        // Albrecht et al. 2022: after some traffic, hold back A, deliver B, then release A.
        EnvelopeHeader[] messages = ClientMessages(true, true, true);
        (EnvelopeHeader earlier, EnvelopeHeader a, EnvelopeHeader b) = (messages[0], messages[1], messages[2]);

        var hardened = new SessionAdmission();
        Assert.Equal(AdmissionAction.Process, Deliver(hardened, earlier).Action);
        Assert.Equal(AdmissionAction.Process, Deliver(hardened, b).Action);
        AdmissionVerdict late = Deliver(hardened, a);
        Assert.Equal((AdmissionAction.Refuse, BadMsgCode.MsgIdTooLow), (late.Action, late.Code));

        var vulnerable = new SessionAdmission(AdmissionPolicy.Hardened with { StrictOrder = false });
        Assert.Equal(AdmissionAction.Process, Deliver(vulnerable, earlier).Action);
        Assert.Equal(AdmissionAction.Process, Deliver(vulnerable, b).Action);
        Assert.Equal(AdmissionAction.Process, Deliver(vulnerable, a).Action); // its seq_no fits between its neighbours
    }

    [Fact]
    public void A_held_back_first_message_is_below_the_window_either_way()
    {
        EnvelopeHeader[] messages = ClientMessages(true, true);
        var vulnerable = new SessionAdmission(AdmissionPolicy.Hardened with { StrictOrder = false });
        Deliver(vulnerable, messages[1]);
        Assert.Equal(BadMsgCode.MessageTooOld, Deliver(vulnerable, messages[0]).Code);
    }

    public static TheoryData<string, long, int, bool, AdmissionAction, BadMsgCode?> SingleDefects()
    {
        long id = MsgId.FromTime(Now) & ~3L;
        return new()
        {
            { "wrong low bits", id | 1, 1, true, AdmissionAction.Refuse, BadMsgCode.MsgIdBadLowBits },
            { "301 s old", MsgId.FromTime(Now.AddSeconds(-301)) & ~3L, 1, true, AdmissionAction.Refuse, BadMsgCode.MsgIdTooLow },
            { "31 s ahead", MsgId.FromTime(Now.AddSeconds(31)) & ~3L, 1, true, AdmissionAction.Refuse, BadMsgCode.MsgIdTooHigh },
            { "even seq_no, content-related", id, 2, true, AdmissionAction.Refuse, BadMsgCode.OddSeqNoExpected },
            { "odd seq_no, not content-related", id, 1, false, AdmissionAction.Refuse, BadMsgCode.EvenSeqNoExpected },
        };
    }

    [Theory]
    [MemberData(nameof(SingleDefects))]
    public void Each_defect_gets_its_code(string name, long msgId, int seqNo, bool contentRelated, AdmissionAction action, BadMsgCode? code)
    {
        AdmissionVerdict verdict = new SessionAdmission().Check(new EnvelopeHeader(1, 2, msgId, seqNo), contentRelated, true, Now);
        Assert.True((action, code) == (verdict.Action, verdict.Code), $"{name}: {verdict}");
    }

    [Fact]
    public void A_reused_odd_seq_no_is_too_low_and_an_id_below_the_window_is_too_old()
    {
        var admission = new SessionAdmission(AdmissionPolicy.Hardened with { WindowCapacity = 2 });
        EnvelopeHeader[] messages = ClientMessages(true, true, true, true);
        Deliver(admission, messages[0]);
        AdmissionVerdict reused = Deliver(admission, messages[1] with { SeqNo = messages[0].SeqNo });
        Assert.Equal(BadMsgCode.SeqNoTooLow, reused.Code);

        Deliver(admission, messages[1]);
        Deliver(admission, messages[2]);
        Deliver(admission, messages[3]);
        Assert.Equal(BadMsgCode.MessageTooOld, Deliver(admission, messages[0]).Code); // not a duplicate any more: forgotten
    }

    [Fact]
    public void A_wrong_salt_comes_last_and_faults_switch_checks_off()
    {
        EnvelopeHeader[] messages = ClientMessages(true);
        AdmissionVerdict badSalt = new SessionAdmission().Check(messages[0], true, saltAccepted: false, Now);
        Assert.Equal((AdmissionAction.BadSalt, BadMsgCode.BadServerSalt), (badSalt.Action, badSalt.Code));
        Assert.Equal(AdmissionAction.Process,
            new SessionAdmission(AdmissionPolicy.Hardened with { IgnoreSalt = true }).Check(messages[0], true, false, Now).Action);

        var duplicates = new SessionAdmission(AdmissionPolicy.Hardened with { AcceptDuplicates = true });
        Deliver(duplicates, messages[0]);
        Assert.Equal(AdmissionAction.Process, duplicates.Check(messages[0] with { SeqNo = 2 }, false, true, Now).Action);

        long old = MsgId.FromTime(Now.AddHours(-1)) & ~3L;
        Assert.Equal(AdmissionAction.Process, new SessionAdmission(AdmissionPolicy.Hardened with { IgnoreTimeWindow = true })
            .Check(new EnvelopeHeader(1, 2, old, 1), true, true, Now).Action);
    }

    [Property(MaxTest = 300)]
    public Property Under_any_delivery_order_nothing_is_processed_twice_or_out_of_order() =>
        Prop.ForAll(Gen.Choose(1, 30).SelectMany(n => Gen.Shuffle(Enumerable.Range(0, n).ToArray()).Select(order => (n, order)))
                .SelectMany(x => Gen.ListOf(Gen.Choose(0, x.n - 1)).Select(replays => (x.n, x.order, replays.ToArray()))).ToArbitrary(),
            run =>
            {
                EnvelopeHeader[] messages = ClientMessages(Enumerable.Repeat(true, run.n).ToArray());
                var admission = new SessionAdmission();
                var processed = new List<long>();
                foreach (int index in run.order.Concat(run.Item3))
                {
                    if (Deliver(admission, messages[index]).Action == AdmissionAction.Process)
                    {
                        processed.Add(messages[index].MsgId);
                    }
                }

                bool strictlyIncreasing = processed.Zip(processed.Skip(1)).All(p => p.First < p.Second);
                return (strictlyIncreasing && processed.Count >= 1).Label(string.Join(",", processed));
            });
}
