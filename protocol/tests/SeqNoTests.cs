using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Tests;

public sealed class SeqNoTests
{
    [Property]
    public Property Counter_gives_odd_numbers_to_content_related_messages_only() =>
        Prop.ForAll(ArbMap.Default.ArbFor<bool[]>(), kinds =>
        {
            var counter = new SeqNoCounter();
            int contentRelatedBefore = 0;
            foreach (bool contentRelated in kinds)
            {
                int seqNo = counter.Next(contentRelated);
                int expected = (2 * contentRelatedBefore) + (contentRelated ? 1 : 0);
                if (seqNo != expected)
                {
                    return false;
                }

                contentRelatedBefore += contentRelated ? 1 : 0;
            }

            return counter.ContentRelatedSent == contentRelatedBefore;
        });

    [Property]
    public Property A_sender_sequence_passes_the_receiver_checks_in_order() =>
        Prop.ForAll(ArbMap.Default.ArbFor<bool[]>(), kinds =>
        {
            var counter = new SeqNoCounter();
            SeenMessage? previous = null;
            long msgId = 4;
            foreach (bool contentRelated in kinds)
            {
                int seqNo = counter.Next(contentRelated);
                if (SeqNoRules.Check(seqNo, contentRelated, previous, next: null) is { } code)
                {
                    return false.Label($"seq_no {seqNo} refused with {code}");
                }

                previous = new SeenMessage(msgId += 4, seqNo);
            }

            return true.ToProperty();
        });

    [Fact]
    public void Two_content_related_messages_delivered_in_swapped_order_are_caught()
    {
        // The reordering attack: message B (seq 3) arrives, then the held-back A (seq 1) with a lower msg_id.
        var a = new SeenMessage(100, 1);
        var b = new SeenMessage(104, 3);
        Assert.Null(SeqNoRules.Check(b.SeqNo, true, null, null));
        Assert.Equal(BadMsgCode.SeqNoTooHigh, SeqNoRules.Check(5, true, previous: null, next: b));
        Assert.Equal(BadMsgCode.SeqNoTooLow, SeqNoRules.Check(a.SeqNo, true, previous: b, next: null));
    }

    [Theory]
    [InlineData(2, true, BadMsgCode.OddSeqNoExpected)]
    [InlineData(3, false, BadMsgCode.EvenSeqNoExpected)]
    [InlineData(-1, true, BadMsgCode.SeqNoTooLow)]
    public void Parity_mismatches_get_their_codes(int seqNo, bool contentRelated, BadMsgCode expected) =>
        Assert.Equal(expected, SeqNoRules.CheckParity(seqNo, contentRelated));

    [Theory]
    [InlineData(4, 4, true)] // equal to an even (not content-related) predecessor: allowed
    [InlineData(5, 5, false)] // equal to an odd predecessor: that number is used up
    [InlineData(4, 6, true)] // a gap: messages may be lost in between
    [InlineData(6, 4, false)]
    public void Order_against_the_previous_message(int previousSeqNo, int seqNo, bool accepted) =>
        Assert.Equal(accepted, SeqNoRules.CheckOrder(seqNo, new SeenMessage(1, previousSeqNo), null) is null);

    [Fact]
    public void Acks_and_containers_are_not_content_related_and_rpc_queries_are()
    {
        Assert.False(ContentRelated.IsContentRelated(ContentRelated.MsgsAck));
        Assert.False(ContentRelated.IsContentRelated(ContentRelated.MsgContainer));
        Assert.True(ContentRelated.IsContentRelated(Tl.TlSchema.MTProto["ping"].Id));
        Assert.True(ContentRelated.IsContentRelated(Tl.TlSchema.MTProto["req_pq_multi"].Id));
    }
}
