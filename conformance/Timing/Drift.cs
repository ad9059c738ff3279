namespace Testbed.Conformance.Timing;

/// <summary>
/// Whether the difference between the classes moved during the run: Spearman's rank correlation between a pair's
/// place in the run and its difference (class B minus class A), and the median difference on each connection. Pairing
/// cancels drift that moves both classes together; this looks for drift in the difference itself (a server warming up
/// one path, a connection that behaves differently), which would make one verdict depend on when it was sampled.
/// </summary>
/// <param name="Rho">Spearman's rho between pair index and difference.</param>
/// <param name="P">Its two-sided p-value (normal approximation, z = rho √(n−1); fine for the thousands of pairs runs have).</param>
/// <param name="MedianDifferenceByConnection">The median difference in ns on each connection.</param>
internal sealed record Drift(double Rho, double P, IReadOnlyList<double> MedianDifferenceByConnection)
{
    /// <summary>Measures the drift of <paramref name="samples"/>.</summary>
    public static Drift Of(TimedSamples samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        int n = samples.Pairs;
        double[] differences = new double[n];
        for (int i = 0; i < n; i++)
        {
            differences[i] = samples.B[i] - samples.A[i];
        }

        // Ranks of the differences (ties share their mean rank); the index's ranks are 1..n already.
        int[] order = [.. Enumerable.Range(0, n).OrderBy(i => differences[i])];
        double[] rank = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j < n && differences[order[j]] == differences[order[i]])
            {
                j++;
            }

            for (int k = i; k < j; k++)
            {
                rank[order[k]] = (i + j + 1) / 2.0;
            }

            i = j;
        }

        double meanRank = (n + 1) / 2.0, covariance = 0, varianceIndex = 0, varianceRank = 0;
        for (int i = 0; i < n; i++)
        {
            double x = i + 1 - meanRank, y = rank[i] - meanRank;
            covariance += x * y;
            varianceIndex += x * x;
            varianceRank += y * y;
        }

        double rho = varianceRank == 0 ? 0 : covariance / Math.Sqrt(varianceIndex * varianceRank);
        double z = rho * Math.Sqrt(n - 1);
        double[] byConnection = [.. Enumerable.Range(0, samples.Plan.Connections)
            .Select(c => Median([.. Enumerable.Range(0, n).Where(i => samples.Connection[i] == c).Select(i => differences[i])]))];
        return new Drift(rho, Statistics.NormalDistribution.TwoSidedP(z), byConnection);
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        Array.Sort(values);
        return values[values.Length / 2];
    }
}
