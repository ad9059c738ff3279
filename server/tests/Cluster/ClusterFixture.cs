namespace Testbed.Server.Tests.Cluster;

/// <summary>One cluster (cluster/up.sh) for the tests of <see cref="SharedCluster"/>, brought up once and taken down after.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public RunningCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RunningCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>The tests that share one cluster; they run one after another, as some of them kill its parts.</summary>
[CollectionDefinition(Name)]
public sealed class SharedCluster : ICollectionFixture<ClusterFixture>
{
    public const string Name = "Cluster";
}
