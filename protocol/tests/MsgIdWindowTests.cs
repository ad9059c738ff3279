using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Tests;

public sealed class MsgIdWindowTests
{
    // Ids from a small range so that duplicates, late ids and ids below the window all occur often.
    private static readonly Gen<(int Capacity, long[] Ids)> Runs =
        from capacity in Gen.Choose(1, 40)
        from ids in Gen.ListOf(Gen.Frequency((4, Gen.Choose(0, 400)), (1, Gen.Choose(0, 40))).Select(i => (long)i * 4))
        select (capacity, ids.ToArray());

    [Property(MaxTest = 500)]
    public Property Window_matches_a_model_of_the_N_highest_recorded_ids() =>
        Prop.ForAll(Runs.ToArbitrary(), run =>
        {
            var window = new MsgIdWindow(run.Capacity);
            var model = new SortedSet<long>();
            foreach (long id in run.Ids)
            {
                MsgIdWindowCheck check = window.Check(id);
                MsgIdWindowCheck expected = Expected(model, id);
                if (check != expected)
                {
                    return false.Label($"id {id}: {check}, model says {expected}");
                }

                if (check is MsgIdWindowCheck.Fresh or MsgIdWindowCheck.FreshOutOfOrder)
                {
                    window.Record(id, seqNo: (int)(id / 2));
                    model.Add(id);
                    if (model.Count > run.Capacity)
                    {
                        model.Remove(model.Min);
                    }
                }

                if (window.Count != model.Count || window.Count > run.Capacity || window.Lowest != Min(model) || window.Highest != Max(model))
                {
                    return false.Label($"after {id}: window holds {window.Count} [{window.Lowest}..{window.Highest}], model {model.Count}");
                }
            }

            return true.ToProperty();
        });

    [Property(MaxTest = 300)]
    public Property An_id_is_never_accepted_twice_and_a_higher_one_always_is() =>
        Prop.ForAll(Runs.ToArbitrary(), run =>
        {
            var window = new MsgIdWindow(run.Capacity);
            var accepted = new HashSet<long>();
            foreach (long id in run.Ids)
            {
                if (window.Check(id) is MsgIdWindowCheck.Fresh or MsgIdWindowCheck.FreshOutOfOrder)
                {
                    if (!accepted.Add(id))
                    {
                        return false.Label($"{id} accepted twice");
                    }

                    window.Record(id, 0);
                }

                long higher = (window.Highest ?? 0) + 4;
                if (window.Check(higher) != MsgIdWindowCheck.Fresh)
                {
                    return false.Label($"{higher} above everything was not fresh");
                }
            }

            return true.ToProperty();
        });

    [Fact]
    public void Recording_a_refused_id_throws()
    {
        var window = new MsgIdWindow(4);
        window.Record(100, 1);
        Assert.Throws<InvalidOperationException>(() => window.Record(100, 1));
        Assert.Throws<InvalidOperationException>(() => window.Record(96, 1));
    }

    [Fact]
    public void Neighbours_are_the_closest_recorded_messages()
    {
        var window = new MsgIdWindow(8);
        window.Record(100, 1);
        window.Record(108, 3);
        window.Record(116, 5);
        Assert.Equal((new SeenMessage(108, 3), new SeenMessage(116, 5)), window.Neighbours(112));
        Assert.Equal((null, new SeenMessage(100, 1)), window.Neighbours(96));
        Assert.Equal((new SeenMessage(116, 5), null), window.Neighbours(120));
    }

    private static MsgIdWindowCheck Expected(SortedSet<long> model, long id)
    {
        if (model.Count == 0 || id > model.Max)
        {
            return MsgIdWindowCheck.Fresh;
        }

        if (id < model.Min)
        {
            return MsgIdWindowCheck.BelowWindow;
        }

        return model.Contains(id) ? MsgIdWindowCheck.Duplicate : MsgIdWindowCheck.FreshOutOfOrder;
    }

    private static long? Min(SortedSet<long> set) => set.Count == 0 ? null : set.Min;

    private static long? Max(SortedSet<long> set) => set.Count == 0 ? null : set.Max;
}
