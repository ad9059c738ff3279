using System.Globalization;

namespace Testbed.Conformance.Lab.Proxy;

/// <summary>Which way a packet travels through the proxy.</summary>
public enum PacketDirection
{
    /// <summary>From the client to the server ("c2s").</summary>
    ClientToServer,

    /// <summary>From the server to the client ("s2c").</summary>
    ServerToClient,
}

/// <summary>What a rule does to the packets it matches.</summary>
public enum RuleAction
{
    /// <summary>The packet is not forwarded.</summary>
    Drop,

    /// <summary>The packet is forwarded after <see cref="ProxyRule.Argument"/> milliseconds; later packets may overtake it.</summary>
    Delay,

    /// <summary>The packet is forwarded twice.</summary>
    Duplicate,

    /// <summary>The packet is held until <see cref="ProxyRule.Argument"/> more packets went the same way (reordering).</summary>
    Hold,

    /// <summary>The packet is forwarded, and a copy again after <see cref="ProxyRule.Argument"/> more packets.</summary>
    ReplayAfter,

    /// <summary>A 16-byte block of random bytes is appended to the packet (padding-length extension).</summary>
    AppendBlock,
}

/// <summary>
/// One interception rule: <c>DIR:INDEX:ACTION[=ARG]</c>, for example <c>c2s:3:drop</c>, <c>c2s:2:delay=1500</c>,
/// <c>c2s:2:hold=2</c>, <c>c2s:4:replay-after=10</c>, <c>s2c:*:duplicate</c>, <c>c2s:5:append-block</c>.
/// INDEX counts the packets of one connection in one direction from 1; <c>*</c> matches every packet.
/// The transport-level marker (the framing's first bytes) is never a packet.
/// </summary>
public sealed record ProxyRule(PacketDirection Direction, int? Index, RuleAction Action, int Argument)
{
    /// <summary>Whether the rule applies to the <paramref name="index"/>-th packet going <paramref name="direction"/>.</summary>
    public bool Matches(PacketDirection direction, int index) => direction == Direction && (Index is null || Index == index);

    /// <summary>Parses one rule; null and a message that says what is wrong when it is not one.</summary>
    public static ProxyRule? Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        string[] parts = text.Trim().Split(':');
        if (parts.Length != 3)
        {
            problem = $"rule '{text}': expected DIR:INDEX:ACTION[=ARG], for example c2s:3:drop";
            return null;
        }

        PacketDirection? direction = parts[0] switch { "c2s" => PacketDirection.ClientToServer, "s2c" => PacketDirection.ServerToClient, _ => null };
        int? index = parts[1] == "*" ? null : int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i > 0 ? i : -1;
        string[] action = parts[2].Split('=', 2);
        int argument = 0;
        bool argumentOk = action.Length == 1 || int.TryParse(action[1], NumberStyles.None, CultureInfo.InvariantCulture, out argument);
        RuleAction? kind = action[0] switch
        {
            "drop" => RuleAction.Drop,
            "delay" => RuleAction.Delay,
            "duplicate" => RuleAction.Duplicate,
            "hold" => RuleAction.Hold,
            "replay-after" => RuleAction.ReplayAfter,
            "append-block" => RuleAction.AppendBlock,
            _ => null,
        };
        bool needsArgument = kind is RuleAction.Delay or RuleAction.Hold or RuleAction.ReplayAfter;
        problem = (direction, index, kind) switch
        {
            (null, _, _) => $"rule '{text}': the direction must be c2s or s2c",
            (_, -1, _) => $"rule '{text}': the index must be a packet number from 1, or *",
            (_, _, null) => $"rule '{text}': unknown action '{action[0]}' (drop, delay=MS, duplicate, hold=N, replay-after=N, append-block)",
            _ when !argumentOk || needsArgument != (action.Length == 2) || (needsArgument && argument <= 0) =>
                $"rule '{text}': {action[0]} " + (needsArgument ? "needs a positive number after '='" : "takes no argument"),
            _ => null,
        };
        return problem is null ? new ProxyRule(direction!.Value, index, kind!.Value, argument) : null;
    }

    /// <summary>Reads a rules file: one rule per line; blank lines and lines starting with # are skipped.</summary>
    public static IReadOnlyList<ProxyRule>? ParseFile(string path, out string? problem)
    {
        var rules = new List<ProxyRule>();
        problem = null;
        foreach ((string line, int number) in File.ReadLines(path).Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (Parse(line, out string? lineProblem) is not { } rule)
            {
                problem = $"{path}:{number}: {lineProblem}";
                return null;
            }

            rules.Add(rule);
        }

        return rules;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{(Direction == PacketDirection.ClientToServer ? "c2s" : "s2c")}:{Index?.ToString(CultureInfo.InvariantCulture) ?? "*"}:" +
        Action switch
        {
            RuleAction.Drop => "drop",
            RuleAction.Delay => $"delay={Argument}",
            RuleAction.Duplicate => "duplicate",
            RuleAction.Hold => $"hold={Argument}",
            RuleAction.ReplayAfter => $"replay-after={Argument}",
            _ => "append-block",
        };
}
