namespace Testbed.Conformance.Timing;

/// <summary>
/// How a lab timing run samples and judges, when the user chose (<c>lab timing</c>, <c>lab run timing-oracle
/// --timing-only</c>); otherwise the lab budget picks the plan.
/// </summary>
/// <param name="Plan">The sampling plan, or null for the budget's.</param>
/// <param name="TimingOnly">Judge by time alone: different answers are reported but not counted as the attack working
/// (to test whether a fault with its own error code is also found by its timing).</param>
/// <param name="Alpha">The false-positive rate the verdict is bounded by.</param>
internal sealed record TimingSettings(SamplingPlan? Plan = null, bool TimingOnly = false, double Alpha = TimingSettings.DefaultAlpha)
{
    /// <summary>The default α: one clean run in a thousand may be called leaky.</summary>
    public const double DefaultAlpha = 0.001;

    /// <summary>The lab's plan for a budget: the quick plan for CI, a minute and up to two million pairs for a report.</summary>
    public static SamplingPlan PlanFor(Lab.LabBudget budget) =>
        budget == Lab.LabBudget.Small ? SamplingPlan.Quick : new SamplingPlan(2_000_000, TimeSpan.FromSeconds(60));
}
