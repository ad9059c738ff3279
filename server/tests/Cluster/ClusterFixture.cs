namespace Testbed.Server.Tests.Cluster;

/// <summary>One cluster (cluster/up.sh) for one test class, brought up once and taken down after.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public RunningCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RunningCluster.StartAsync();

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
