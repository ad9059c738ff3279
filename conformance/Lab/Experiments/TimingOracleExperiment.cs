using Testbed.Conformance.Timing;
using Testbed.Conformance.Timing.Statistics;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Transport;

namespace Testbed.Conformance.Lab.Experiments;

/// <summary>
/// The length-before-MAC oracle, attack 3 of Albrecht et al. 2022 (docs/protocol.md §2.4, §7; docs/timing.md): the
/// attack's two classes of packets (<see cref="LengthOracleClasses"/>), sampled in randomly ordered pairs on
/// persistent connections and judged with a false-positive rate bounded by α (<see cref="TimingAnalysis"/>). The attack
/// worked when the answers differ (an error oracle; not counted with <see cref="TimingSettings.TimingOnly"/>) or when
/// the times do.
/// </summary>
internal sealed class TimingOracleExperiment() : LabExperiment(
    "timing-oracle",
    "Length-before-MAC timing and error oracle (2022 attack 3)",
    "length-before-mac",
    "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 3",
    "Two classes of packets under the experiment's auth key, each with a random msg_key and a ciphertext made so that it decrypts, under "
        + "the keys that msg_key derives, to a chosen plaintext: class A has a well-formed plaintext (so only msg_key is wrong), class B "
        + "the same with message_data_length far beyond the packet (so the length is wrong too). The packets go straight to the server "
        + "(not through the proxy, whose own delay would add noise) on a few persistent TCP connections, in pairs of one packet of each "
        + "class sent back to back in an order drawn at random, each timed from just before its send to just after its answer on a "
        + "blocking socket; a warm-up is discarded. The attack worked when the answers differ, or when the times do: a sign "
        + "test on the paired differences with a bootstrapped interval of their median that excludes 0, or an RTLF-style "
        + "decile test, each at α/2, so that a run calls a server without a leak leaky at most at rate α; a run that finds a leak is "
        + "followed by a second with the next seed, and only a leak both find counts, at most at rate α² (docs/timing.md).",
    // At its default size (1 µs), which the quick plan finds in every run here (docs/timing.md has the power curve).
    "length-timing-leak")
{
    public override async Task RunAsync(LabSession lab, ExperimentResult result, CancellationToken cancel)
    {
        SamplingPlan plan = lab.Timing.Plan ?? TimingSettings.PlanFor(lab.Budget);
        using var key = AuthKey.FromBytes(lab.Key.Key);
        var classes = new LengthOracleClasses(key);
        ConfirmedTiming timing;
        try
        {
            timing = await ConfirmedTiming.MeasureAsync(
                p => TimingMeasurement.SampleOverTcpAsync(lab.Server.Tcp.Host, lab.Server.Tcp.Port, TransportFraming.Intermediate, classes, p, cancel),
                plan, lab.Timing.Alpha);
        }
        catch (IOException e)
        {
            throw new LabException($"timing samples could not be taken: {e.Message}");
        }

        TimedSamples samples = timing.First;
        Drift drift = Drift.Of(samples);
        bool answersDiffer = samples.AnswersDiffer;
        result.Add("the answers", answersDiffer ? "differ" : "identical", answersDiffer && !lab.Timing.TimingOnly ? true : answersDiffer ? null : false,
            $"A: {samples.DescribeAnswers(0)}; B: {samples.DescribeAnswers(1)}" + (answersDiffer && lab.Timing.TimingOnly ? " (not counted: judged by time alone)" : ""));
        result.Add("the response times", timing.Leak ? "differ" : "indistinguishable", timing.Leak,
            $"{timing.Summary}; {samples.Pairs:N0} pairs in {samples.Elapsed.TotalSeconds:F1} s");
        result.Add("drift of the difference over the run", drift.P < lab.Timing.Alpha ? "seen" : "none seen", null,
            $"Spearman rho between a pair's place and its difference {drift.Rho:F4} (p = {drift.P:G3}); median difference per connection "
            + string.Join(", ", drift.MedianDifferenceByConnection.Select(d => $"{d:F0} ns")));
        result.Notes.Add($"Sampling: {samples.Plan}; {samples.Channel}; stopped by {samples.StoppedBy}. Times include the loopback network stack and the "
            + "scheduler, shared by the client and the server on this machine's cores: only the difference between the classes means anything.");
        TimingReport.AddTo(result, timing, drift, $"Timing oracle: {lab.Server.Description}");
    }
}
