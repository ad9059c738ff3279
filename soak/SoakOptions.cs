namespace Testbed.Soak;

/// <summary>
/// The command line: <c>[--scale ci|full] [--only ATTACK[,ATTACK]] [--out FILE.md]</c>. Anything else is bad usage,
/// reported as one line (exit 2).
/// </summary>
internal sealed record SoakOptions(SoakScale Scale, IReadOnlyList<IAttack> Attacks, string? OutFile)
{
    public const string Usage = "usage: testbed-soak [--scale ci|full] [--only ATTACK[,ATTACK]] [--out FILE.md]";

    /// <summary>The options, or the reason they are bad.</summary>
    public static (SoakOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        SoakScale scale = SoakScale.Ci;
        IReadOnlyList<IAttack> attacks = AttackCatalog.All;
        string? outFile = null;
        for (int i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                return (null, $"{args[i]} needs a value; {Usage}");
            }

            string value = args[i + 1];
            switch (args[i])
            {
                case "--scale" when value is "ci" or "full":
                    scale = value == "ci" ? SoakScale.Ci : SoakScale.Full;
                    break;
                case "--scale":
                    return (null, $"unknown scale '{value}': ci or full");
                case "--only":
                    string[] names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    string[] unknown = [.. names.Where(n => AttackCatalog.All.All(a => a.Name != n))];
                    if (unknown.Length > 0 || names.Length == 0)
                    {
                        return (null, $"unknown attack '{string.Join(", ", unknown)}'; known: {string.Join(", ", AttackCatalog.All.Select(a => a.Name))}");
                    }

                    attacks = [.. AttackCatalog.All.Where(a => names.Contains(a.Name))];
                    break;
                case "--out":
                    outFile = value;
                    break;
                default:
                    return (null, $"unknown option '{args[i]}'; {Usage}");
            }
        }

        return (new SoakOptions(scale, attacks, outFile), null);
    }
}
