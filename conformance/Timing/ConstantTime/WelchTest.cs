namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>
/// Welch's two-sample t-test, updated online one measurement at a time (dudect, Reparaz, Balasch and Verbauwhede,
/// "Dude, is my code constant time?", DATE 2017, §2): each class keeps its count, mean and sum of squared deviations
/// by Welford's method, so millions of measurements need no second pass and lose no precision to cancellation.
/// </summary>
internal sealed class WelchTest
{
    private readonly long[] _count = new long[2];
    private readonly double[] _mean = new double[2];
    private readonly double[] _squares = new double[2];

    /// <summary>Adds one measurement of class 0 or 1.</summary>
    public void Push(double value, int cls)
    {
        _count[cls]++;
        double delta = value - _mean[cls];
        _mean[cls] += delta / _count[cls];
        _squares[cls] += delta * (value - _mean[cls]);
    }

    /// <summary>The number of measurements of a class.</summary>
    public long Count(int cls) => _count[cls];

    /// <summary>The mean of a class.</summary>
    public double Mean(int cls) => _mean[cls];

    /// <summary>The sample variance (n − 1 in the denominator) of a class.</summary>
    public double Variance(int cls) => _count[cls] < 2 ? double.NaN : _squares[cls] / (_count[cls] - 1);

    /// <summary>
    /// The standard error of the difference of the means, √(s₀²/n₀ + s₁²/n₁): the denominator of t, and the unit in
    /// which the smallest detectable difference is stated.
    /// </summary>
    public double StandardError => Math.Sqrt((Variance(0) / _count[0]) + (Variance(1) / _count[1]));

    /// <summary>Welch's t: (mean₀ − mean₁) / <see cref="StandardError"/>. NaN with fewer than two measurements in a class.</summary>
    public double T => (_mean[0] - _mean[1]) / StandardError;
}
