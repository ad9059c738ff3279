namespace Testbed.Conformance.Timing.Statistics;

/// <summary>The standard normal tail, for the p-values of the large-sample tests (.NET has no erfc).</summary>
internal static class NormalDistribution
{
    /// <summary>P(|Z| ≥ |z|) for Z ~ N(0, 1), i.e. erfc(|z|/√2).</summary>
    public static double TwoSidedP(double z) => Math.Min(1.0, Erfc(Math.Abs(z) / Math.Sqrt(2.0)));

    /// <summary>
    /// The complementary error function by the Chebyshev fit of Press et al., "Numerical Recipes in C", 2nd ed., 1992,
    /// §6.2 (function <c>erfcc</c>): relative error below 1.2e-7 everywhere, so even p-values near 1e-300 keep their
    /// leading digits (they are products, not differences, of the exponential).
    /// </summary>
    private static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double polynomial = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277))))))));
        double result = t * Math.Exp(polynomial);
        return x >= 0 ? result : 2.0 - result;
    }
}
