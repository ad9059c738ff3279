namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>dudect's reading of the largest |t| (Reparaz et al., DATE 2017; oreparaz/dudect src/dudect.h).</summary>
internal enum Verdict
{
    /// <summary>|t| ≤ 4.5: no difference at this run's resolution (see <see cref="CropResult.SmallestDetectableNanoseconds"/>).</summary>
    ConstantTime,

    /// <summary>4.5 &lt; |t| ≤ 10: above the TVLA threshold but below dudect's; more measurements would tell.</summary>
    CannotTell,

    /// <summary>|t| &gt; 10: dudect's "probably not constant time".</summary>
    Leak,
}
