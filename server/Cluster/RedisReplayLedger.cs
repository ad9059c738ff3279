using System.Globalization;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Sessions;

namespace Testbed.Server.Cluster;

/// <summary>
/// The cluster's replay ledger in Redis: each session's window a sorted set, claimed through one Lua script
/// (claim-msg-id.lua), so a check and its record are one round trip and one atomic step. The script's policy follows
/// the node's <see cref="AdmissionPolicy"/>, so the replay fault profiles weaken the cluster as they weaken one node.
/// Claims go over the ledger's own blocking connections (<see cref="RespConnection"/>), on the caller's thread.
/// </summary>
internal sealed class RedisReplayLedger : IReplayLedger
{
    private const string EpochKey = "tb:epoch";
    private static readonly RedisScript ClaimScript = RedisScript.Embedded("claim-msg-id.lua");

    private readonly RespConnectionPool _pool;
    private readonly string _capacity;
    private readonly string _policy;
    private readonly string _windowSeconds;
    private readonly string _instance;

    public RedisReplayLedger(RespConnectionPool pool, AdmissionPolicy policy, string instance)
    {
        _pool = pool;
        _instance = instance;
        _capacity = policy.WindowCapacity.ToString(CultureInfo.InvariantCulture);
        _policy = (policy.AcceptDuplicates ? "d" : "") + (policy.StrictOrder ? "s" : "")
            + (policy.RefuseBelowWindow && !policy.IgnoreTimeWindow ? "b" : "");

        // A window is needed while its newest id can still pass the time window (§3.4); twice that, as for the floors.
        _windowSeconds = ((long)(2 * (policy.MaxPast + policy.MaxFuture)).TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Sets the epoch unless one is set: called whenever a node (re)connects, so that after Redis lost its state the
    /// epoch is the moment it came back, before any key made since (such a key lost nothing and is not floored).
    /// </summary>
    /// <exception cref="IOException">Redis cannot be reached.</exception>
    public void MarkEpoch(DateTimeOffset now) => _pool.Use(c => c.Call("SET", EpochKey, Hex(MsgId.FromTime(now)), "NX"));

    public ReplayClaim Claim(long authKeyId, long sessionId, long msgId, DateTimeOffset keyCreatedAt, DateTimeOffset now, bool holdsSessionState,
        JournalCounters? counters, out string? failure)
    {
        failure = null;
        string[] keys = [WindowKey(authKeyId, sessionId), EpochKey, SessionJournal.StateKey(authKeyId, sessionId)];
        string? answer;
        try
        {
            answer = _pool.Use(connection => ClaimScript.Run(connection, keys,
                Hex(msgId), Hex(MsgId.FromTime(keyCreatedAt)), Hex(MsgId.FromTime(now)), _capacity, _policy, _windowSeconds,
                _instance, holdsSessionState ? "0" : "1", SessionJournal.LifetimeSeconds,
                counters?.ContentRelatedSent.ToString(CultureInfo.InvariantCulture) ?? "", counters is { } c ? Hex(c.LastMsgId) : ""));
        }
        catch (Exception e) when (e is IOException or RespErrorException)
        {
            failure = e.Message;
            return ReplayClaim.Unavailable;
        }

        ReplayClaim claim = answer switch
        {
            "fresh" => ReplayClaim.Fresh,
            "fresh taken" => ReplayClaim.FreshTakenOver,
            "duplicate" => ReplayClaim.Duplicate,
            "duplicate taken" => ReplayClaim.DuplicateTakenOver,
            "below" => ReplayClaim.BelowWindow,
            "order" => ReplayClaim.OutOfOrder,
            "forgotten" => ReplayClaim.Forgotten,
            _ => ReplayClaim.Unavailable,
        };
        failure = claim == ReplayClaim.Unavailable ? $"the claim script answered '{answer}'" : null;
        return claim;
    }

    /// <summary>
    /// One session's window. The braces are a Redis Cluster hash tag: every key of one auth key lands on one shard
    /// (docs/cluster.md, "Scaling model").
    /// </summary>
    internal static string WindowKey(long authKeyId, long sessionId) => $"tb:{{{Hex(authKeyId)}}}:w:{Hex(sessionId)}";

    internal static string Hex(long value) => value.ToString("x16", CultureInfo.InvariantCulture);
}
