using Testbed.Conformance.Harness;
using Testbed.Conformance.Timing;
using Testbed.Conformance.Timing.Statistics;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>Timing side channels (docs/protocol.md §2.4, §7; the method in docs/timing.md).</summary>
internal static class TimingCases
{
    public static IEnumerable<ConformanceCase> All() =>
    [
        new("TIM-001", "timing", Should,
            "Refusals for a wrong msg_key over a well-formed plaintext and over one with an impossible length field take the same time: "
            + "the length is not judged before msg_key is checked.",
            "§2.4, §7 (length-before-MAC timing, Albrecht et al. 2022 attack 3)",
            $"the attack's two classes (random msg_key; the ciphertext decrypts under it to a valid layout, or to one with an impossible "
            + $"length), in randomly ordered pairs on {SamplingPlan.Quick.Connections} persistent connections, {SamplingPlan.Quick}",
            $"every refusal the same answer (§2.4: one response for every failure), and no timing difference at α = {TimingSettings.DefaultAlpha}: "
            + "neither the sign test on the paired differences with the bootstrapped median interval nor the RTLF-style decile test finds one, "
            + "or what one run finds a second run (the next seed) does not find again",
            async c =>
            {
                // A session answered first: the key is one the server knows, so both classes really are decrypted.
                await using Probe probe = await c.WarmSessionAsync();
                var classes = new LengthOracleClasses(probe.Key);
                Task<TimedSamples> Sample(SamplingPlan plan) => c.Target.Transport == "tcp"
                    ? TimingMeasurement.SampleOverTcpAsync(c.Target.Address.Host, c.Target.Address.Port, c.Target.Framing, classes, plan, c.Cancel)
                    : PairedSampler.RunOnOwnThreadAsync([new ProbeTimedChannel(probe)], $"the probe's {c.Target.Transport} transport",
                        classes, plan with { Connections = 1 }, c.Cancel);

                ConfirmedTiming timing;
                try
                {
                    timing = await ConfirmedTiming.MeasureAsync(Sample, SamplingPlan.Quick, TimingSettings.DefaultAlpha);
                }
                catch (IOException e)
                {
                    return CaseOutcome.Fail($"nothing to time: {e.Message}");
                }

                TimedSamples samples = timing.First;
                if (samples.AnswersDiffer)
                {
                    return CaseOutcome.Fail($"the refusals differ, an error oracle before any timing: A {samples.DescribeAnswers(0)}; B {samples.DescribeAnswers(1)}");
                }

                string evidence = $"every refusal: {samples.DescribeAnswers(0)} / {samples.DescribeAnswers(1)}; {timing.Summary}; "
                    + $"{samples.Pairs:N0} pairs in {samples.Elapsed.TotalSeconds:F1} s over {samples.Channel}";
                return timing.Leak ? CaseOutcome.Fail(evidence) : CaseOutcome.Pass(evidence);
            })
        {
            MeasuresTime = true,
            Passes = $"the quick plan ({SamplingPlan.Quick}) runs to its end on connections of its own (the probe's transport for a WebSocket "
                + "or HTTP target), every sample gets an answer within 5 s, every answer is the same (transport error -404 from the "
                + $"reference server), and the analysis at α = {TimingSettings.DefaultAlpha} finds no leak: not both a sign-test "
                + "p below α/2 and a bootstrapped median-difference interval that excludes 0, and no decile of the RTLF-style test past "
                + "its bound (docs/timing.md); a run that finds a leak is followed by a second run under the next seed, and a leak only one of "
                + "the two finds is not a leak (docs/timing.md, \"A leak must be found twice\"). Silence or a closed connection (nothing to time) or two different answers (an error "
                + "oracle) fails; so does a leak found by both runs, with both runs' sizes and intervals in the evidence. The case runs alone, after the others. "
                + "-429: not applicable.",
        },
    ];
}
