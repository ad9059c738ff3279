using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Tests;

public sealed class MsgIdTests
{
    /// <summary>A clock the test moves by hand, forwards, not at all, or backwards.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset Start = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static readonly Gen<MsgIdSender> Senders =
        Gen.Elements(MsgIdSender.Client, MsgIdSender.ServerResponse, MsgIdSender.ServerNotification);

    // Clock steps in ticks: mostly tiny (same tick), some zero, some backwards, some large jumps.
    private static readonly Gen<long> Steps = Gen.Frequency(
        (3, Gen.Constant(0L)),
        (3, Gen.Choose(1, 100).Select(t => (long)t)),
        (2, Gen.Choose(-50_000_000, -1).Select(t => (long)t)),
        (1, Gen.Choose(1, int.MaxValue).Select(t => (long)t)));

    [Property(MaxTest = 300)]
    public Property Generated_ids_strictly_increase_with_the_right_low_bits_under_any_clock() =>
        Prop.ForAll(Gen.ListOf(Gen.Zip(Steps, Senders)).ToArbitrary(), steps =>
        {
            var clock = new ManualClock(Start);
            var generator = new MsgIdGenerator(clock);
            long previous = 0;
            foreach ((long step, MsgIdSender sender) in steps)
            {
                clock.Now = clock.Now.AddTicks(step);
                long id = generator.Next(sender);
                bool ok = id > previous && (id & 3) == (long)sender && (id & 0xFFFF_FFFF) != 0;
                if (!ok)
                {
                    return false.Label($"id {id:x16} after {previous:x16} for {sender}");
                }

                previous = id;
            }

            return true.ToProperty();
        });

    [Fact]
    public void Ids_track_the_clock_plus_offset()
    {
        var clock = new ManualClock(Start);
        var generator = new MsgIdGenerator(clock) { ClockOffset = TimeSpan.FromSeconds(-42) };
        long id = generator.Next(MsgIdSender.Client);
        Assert.Equal(Start.ToUnixTimeSeconds() - 42, id >> 32);
    }

    [Property]
    public Property Time_round_trips_through_msg_id_to_100ns() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(0, 9_999_999).ToArbitrary(), (seconds, ticks) =>
        {
            DateTimeOffset time = DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(ticks);
            return Math.Abs((MsgId.ToTime(MsgId.FromTime(time)) - time).Ticks) <= 1;
        });

    public static TheoryData<double, MsgIdSender, BadMsgCode?> WindowCases() => new()
    {
        { 0, MsgIdSender.Client, null },
        { -299.9, MsgIdSender.Client, null },
        { -300.1, MsgIdSender.Client, BadMsgCode.MsgIdTooLow },
        { 29.9, MsgIdSender.Client, null },
        { 30.1, MsgIdSender.Client, BadMsgCode.MsgIdTooHigh },
        { 0, MsgIdSender.ServerResponse, null },
        { 0, MsgIdSender.ServerNotification, null },
    };

    [Theory]
    [MemberData(nameof(WindowCases))]
    public void Validator_applies_the_300_s_past_and_30_s_future_window(double offsetSeconds, MsgIdSender sender, BadMsgCode? expected)
    {
        long id = (MsgId.FromTime(Start.AddSeconds(offsetSeconds)) & ~3L) | (long)sender;
        MsgIdSender expectedSender = sender == MsgIdSender.Client ? MsgIdSender.Client : MsgIdSender.ServerNotification;
        Assert.Equal(expected, MsgIdRules.Validate(id, expectedSender, Start));
    }

    [Theory]
    [InlineData(1, MsgIdSender.Client)]
    [InlineData(2, MsgIdSender.Client)]
    [InlineData(3, MsgIdSender.Client)]
    [InlineData(0, MsgIdSender.ServerResponse)]
    [InlineData(2, MsgIdSender.ServerNotification)]
    public void Validator_refuses_wrong_low_bits_with_18_even_far_outside_the_window(int lowBits, MsgIdSender sender)
    {
        long id = (MsgId.FromTime(Start.AddDays(-1)) & ~3L) | (long)lowBits;
        Assert.Equal(BadMsgCode.MsgIdBadLowBits, MsgIdRules.Validate(id, sender, Start));
    }
}
