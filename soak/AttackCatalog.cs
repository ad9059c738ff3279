using Testbed.Soak.Attacks;

namespace Testbed.Soak;

/// <summary>Every attack, in the order the table lists them (issue 13's findings, roughly in its order).</summary>
internal static class AttackCatalog
{
    public static IReadOnlyList<IAttack> All { get; } =
    [
        TcpSlowloris.DescriptorExhaustion(),
        TcpSlowloris.PerAddressFlood(),
        TcpSlowloris.IdleTcp(),
        new IdleWebSocket(),
        TcpSlowloris.HalfHeader(),
        TcpSlowloris.Trickle(),
        TcpSlowloris.StalledFrames(),
        new BadPacketFlood(),
        new GarbageThenHandshake(),
        HttpBodyAttack.SlowBody(),
        HttpBodyAttack.ChunkedOverLimit(),
        new MemoryCreep(),
    ];
}
