namespace Testbed.Conformance.Timing.Statistics;

/// <summary>
/// Normal, gamma and beta draws from a seeded <see cref="Random"/>: the bootstrap's only source of randomness, so a
/// seed fixes every interval and threshold (.NET has no gamma or beta sampler of its own).
/// </summary>
internal static class RandomVariates
{
    /// <summary>A standard normal draw by the Box–Muller transform (Box and Muller, Ann. Math. Statist. 29(2), 1958).</summary>
    public static double Normal(Random random)
    {
        double u1 = 1.0 - random.NextDouble(); // in (0, 1]: the logarithm stays finite
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>
    /// A Gamma(<paramref name="shape"/>, 1) draw by Marsaglia and Tsang's squeeze method, "A simple method for
    /// generating gamma variables", ACM TOMS 26(3), 2000, https://doi.org/10.1145/358407.358414. The bootstrap only
    /// needs shapes of at least 1 (order-statistic ranks), which is the method's own domain.
    /// </summary>
    public static double Gamma(Random random, double shape)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shape, 1.0);
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1.0 + c * x;
            }
            while (v <= 0.0);
            v = v * v * v;
            double u = 1.0 - random.NextDouble();
            if (u < 1.0 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1.0 - v + Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    /// <summary>A Beta(<paramref name="a"/>, <paramref name="b"/>) draw as G_a / (G_a + G_b) with independent gamma draws.</summary>
    public static double Beta(Random random, double a, double b)
    {
        double x = Gamma(random, a);
        double y = Gamma(random, b);
        return x / (x + y);
    }
}
