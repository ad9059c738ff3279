namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// The sign test on the paired differences d = b − a: under the null each nonzero difference is positive with
/// probability ½ (Conover, "Practical Nonparametric Statistics", 3rd ed., 1999, §3.4). tlsfuzzer runs the same test
/// on its timing pairs (tlsfuzzer/analysis.py, <c>sign_test</c>; https://tlsfuzzer.readthedocs.io/en/latest/timing-analysis.html).
/// </summary>
/// <param name="Positives">Pairs with b &gt; a (B slower).</param>
/// <param name="Negatives">Pairs with b &lt; a.</param>
/// <param name="Ties">Pairs with b = a: dropped, as they say nothing about the direction.</param>
/// <param name="P">The exact two-sided binomial p-value, 2·P(Binomial(n, ½) ≤ min(positives, negatives)), at most 1.</param>
public sealed record SignTestResult(int Positives, int Negatives, int Ties, double P)
{
    /// <summary>The test on the differences <paramref name="d"/>.</summary>
    internal static SignTestResult Of(ReadOnlySpan<long> d)
    {
        int positives = 0, negatives = 0;
        foreach (long x in d)
        {
            if (x > 0)
            {
                positives++;
            }
            else if (x < 0)
            {
                negatives++;
            }
        }
        double p = Math.Min(1.0, 2.0 * LowerBinomialTail(positives + negatives, Math.Min(positives, negatives)));
        return new SignTestResult(positives, negatives, d.Length - positives - negatives, p);
    }

    /// <summary>
    /// P(Binomial(n, ½) ≤ k) for k ≤ n/2, exactly for every n: the largest term C(n, k)/2ⁿ is formed in logarithms and
    /// the smaller ones are summed relative to it, so nothing overflows and only a true tail below ~1e-308 rounds to 0.
    /// </summary>
    private static double LowerBinomialTail(int n, int k)
    {
        double logTop = -n * Math.Log(2.0);
        for (int i = 1; i <= k; i++)
        {
            logTop += Math.Log((double)(n - k + i) / i);
        }
        double sum = 1.0, term = 1.0;
        for (int i = k; i > 0 && term > sum * 1e-17; i--)
        {
            term *= (double)i / (n - i + 1); // C(n, i−1) / C(n, i)
            sum += term;
        }
        return Math.Exp(logTop + Math.Log(sum));
    }
}
