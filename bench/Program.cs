using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

if (args is ["session-memory"])
{
    await Testbed.Bench.SessionMemory.RunAsync(Console.Out);
    return;
}

if (args is ["cluster-costs", .. var costArguments])
{
    await Testbed.Bench.ClusterCosts.RunAsync(costArguments, Console.Out);
    return;
}

if (args is ["cluster-throughput", .. var throughputArguments])
{
    try
    {
        await Testbed.Bench.ClusterThroughput.RunAsync(throughputArguments, Console.Out);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        Environment.Exit(2);
    }

    return;
}

// Shorter than BenchmarkDotNet's default job (which would take ~20 min here on 2 cores) while keeping
// enough iterations for a stable median; pass --job default for the full treatment.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithWarmupCount(4).WithIterationCount(12).WithId("testbed"))
    .AddColumn(StatisticColumn.Median)
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(Testbed.Bench.AesIgeBenchmarks).Assembly).Run(args, config);
