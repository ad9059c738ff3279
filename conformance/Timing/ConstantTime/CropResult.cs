namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>The t-test over the measurements at or below one cropping threshold (or over all of them).</summary>
/// <param name="Label">"all" or the percentile kept, e.g. "p93.75".</param>
/// <param name="ThresholdNanoseconds">The largest time kept; null for "all".</param>
/// <param name="CountA">Class 0's measurements kept.</param>
/// <param name="CountB">Class 1's measurements kept.</param>
/// <param name="MeanA">Class 0's mean, ns.</param>
/// <param name="MeanB">Class 1's mean, ns.</param>
/// <param name="T">Welch's t.</param>
/// <param name="StandardError">The standard error of the difference of the means, ns.</param>
internal sealed record CropResult(string Label, long? ThresholdNanoseconds, long CountA, long CountB, double MeanA, double MeanB,
    double T, double StandardError)
{
    /// <summary>dudect's threshold for a leak.</summary>
    public const double LeakT = 10;

    /// <summary>
    /// The difference of the means that would give |t| = <see cref="LeakT"/> with this spread and these counts:
    /// a smaller systematic difference could be there and pass unseen.
    /// </summary>
    public double SmallestDetectableNanoseconds => LeakT * StandardError;
}
