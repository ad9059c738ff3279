using Testbed.Fuzz.Targets;

namespace Testbed.Fuzz.Tests;

/// <summary>Every input a fuzzer ever crashed on stays a test, and every seed runs clean (the uninstrumented build).</summary>
public sealed class RegressionReplayTests
{
    private static string RegressionsDirectory
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(directory!.FullName, "Testbed.sln")))
            {
                directory = directory.Parent;
            }

            return Path.Combine(directory.FullName, "fuzz", "regressions");
        }
    }

    public static TheoryData<string, string> Regressions()
    {
        var data = new TheoryData<string, string>();
        foreach (FuzzTarget target in FuzzCatalog.All)
        {
            string folder = Path.Combine(RegressionsDirectory, target.Name);
            foreach (string file in Directory.Exists(folder) ? Directory.GetFiles(folder).Order().ToArray() : [])
            {
                data.Add(target.Name, Path.GetFileName(file));
            }
        }

        if (data.Count == 0)
        {
            data.Add("none", "");
        }

        return data;
    }

    public static TheoryData<string> Targets() => [.. FuzzCatalog.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Regressions))]
    public void A_regression_input_runs_without_a_crash(string target, string file)
    {
        if (target == "none")
        {
            return; // no crash has been found yet: nothing to replay
        }

        FuzzCatalog.Find(target)!.Run(File.ReadAllBytes(Path.Combine(RegressionsDirectory, target, file)));
    }

    /// <summary>
    /// AFL++ runs a target's inputs one after another in one process, so one input can leave state for the next: the CI
    /// campaign's two dispatch "crashes" (fuzz/regressions/dispatch) were messages that came after a destroy_auth_key
    /// and got −404 for the key it had destroyed. The harness puts the key back (FuzzServer.ProcessUnderKey).
    /// </summary>
    [Fact]
    public void A_key_an_earlier_input_destroyed_is_no_finding_for_the_next()
    {
        FuzzTarget dispatch = FuzzCatalog.Find("dispatch")!;
        byte[] destroyAuthKey = [1, 0x60, 0x51, 0x43, 0xd1]; // content-related; destroy_auth_key#d1435160
        foreach (string file in Directory.GetFiles(Path.Combine(RegressionsDirectory, "dispatch")).Order())
        {
            dispatch.Run(destroyAuthKey);
            dispatch.Run(File.ReadAllBytes(file));
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_runs_clean_and_the_corpus_is_not_empty(string name)
    {
        FuzzTarget target = FuzzCatalog.Find(name)!;
        byte[][] seeds = [.. target.Seeds()];
        Assert.NotEmpty(seeds);
        foreach (byte[] seed in seeds)
        {
            target.Run(seed);
        }
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Damaged_seeds_run_without_a_crash(string name)
    {
        FuzzTarget target = FuzzCatalog.Find(name)!;
        var random = new Random(name.GetHashCode(StringComparison.Ordinal));
        foreach (byte[] seed in target.Seeds())
        {
            for (int i = 0; i < 50; i++)
            {
                byte[] input = (byte[])seed.Clone();
                if (input.Length > 0)
                {
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                }

                target.Run(random.Next(4) == 0 ? input[..random.Next(input.Length + 1)] : input);
            }
        }
    }
}
