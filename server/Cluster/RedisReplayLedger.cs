using System.Globalization;
using StackExchange.Redis;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Cluster;

/// <summary>
/// The cluster's replay ledger in Redis: each session's window a sorted set, claimed through one Lua script
/// (claim-msg-id.lua), so a check and its record are one round trip and one atomic step. The script's policy follows
/// the node's <see cref="AdmissionPolicy"/>, so the replay fault profiles weaken the cluster as they weaken one node.
/// </summary>
internal sealed class RedisReplayLedger : IReplayLedger
{
    private const string EpochKey = "tb:epoch";
    // Sent as EVALSHA once Redis knows it; the client falls back to EVAL when a restarted Redis has forgotten it.
    private static readonly string ClaimScript = LoadScript();

    private readonly IConnectionMultiplexer _redis;
    private readonly int _capacity;
    private readonly string _policy;
    private readonly long _windowSeconds;

    public RedisReplayLedger(IConnectionMultiplexer redis, AdmissionPolicy policy)
    {
        _redis = redis;
        _capacity = policy.WindowCapacity;
        _policy = (policy.AcceptDuplicates ? "d" : "") + (policy.StrictOrder ? "s" : "")
            + (policy.RefuseBelowWindow && !policy.IgnoreTimeWindow ? "b" : "");

        // A window is needed while its newest id can still pass the time window (§3.4); twice that, as for the floors.
        _windowSeconds = (long)(2 * (policy.MaxPast + policy.MaxFuture)).TotalSeconds;
    }

    /// <summary>
    /// Sets the epoch unless one is set: called whenever a node (re)connects, so that after Redis lost its state the
    /// epoch is the moment it came back, before any key made since (such a key lost nothing and is not floored).
    /// </summary>
    public void MarkEpoch(DateTimeOffset now) =>
        _redis.GetDatabase().StringSet(EpochKey, Hex(MsgId.FromTime(now)), when: When.NotExists);

    public ReplayClaim Claim(long authKeyId, long sessionId, long msgId, DateTimeOffset keyCreatedAt, DateTimeOffset now, out string? failure)
    {
        failure = null;
        RedisResult result;
        try
        {
            result = _redis.GetDatabase().ScriptEvaluate(ClaimScript,
                [WindowKey(authKeyId, sessionId), EpochKey],
                [Hex(msgId), Hex(MsgId.FromTime(keyCreatedAt)), Hex(MsgId.FromTime(now)), _capacity, _policy, _windowSeconds]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
            return ReplayClaim.Unavailable;
        }

        ReplayClaim claim = (string?)result switch
        {
            "fresh" => ReplayClaim.Fresh,
            "duplicate" => ReplayClaim.Duplicate,
            "below" => ReplayClaim.BelowWindow,
            "order" => ReplayClaim.OutOfOrder,
            "forgotten" => ReplayClaim.Forgotten,
            _ => ReplayClaim.Unavailable,
        };
        failure = claim == ReplayClaim.Unavailable ? $"the claim script answered '{result}'" : null;
        return claim;
    }

    /// <summary>
    /// One session's window. The braces are a Redis Cluster hash tag: every key of one auth key lands on one shard
    /// (docs/cluster.md, "Scaling model").
    /// </summary>
    private static RedisKey WindowKey(long authKeyId, long sessionId) =>
        $"tb:{{{Hex(authKeyId)}}}:w:{Hex(sessionId)}";

    private static string Hex(long value) => value.ToString("x16", CultureInfo.InvariantCulture);

    private static string LoadScript()
    {
        using Stream stream = typeof(RedisReplayLedger).Assembly.GetManifestResourceStream("Testbed.Server.Cluster.claim-msg-id.lua")
            ?? throw new InvalidOperationException("claim-msg-id.lua is not embedded in the server assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
