using Testbed.Conformance.Harness;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Harness.RequirementLevel;

namespace Testbed.Conformance.ServerSuite.Cases;

/// <summary>seq_no, salts and sessions (docs/protocol.md §3.3, §3.5, §3.7).</summary>
internal static class SessionCases
{
    private static readonly long[] OneId = [1];

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("SES-001", "session", Must, "A wrong server salt gets bad_server_salt (48) carrying a salt that the next message may use.", "§3.5, §3.6",
            "a ping under a wrong salt, then again under the salt given", "bad_server_salt 48 and no pong, then pong under the salt given", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                probe.Session.Salt ^= 0x5a5a5a5a;
                Reply refused = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                if (refused.Find("bad_server_salt") is not { } bad)
                {
                    return CaseOutcome.Fail($"answer to the wrong salt: {refused}");
                }

                probe.Session.Salt = bad.Get<long>("new_server_salt");
                Reply retried = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(bad.Get<int>("error_code") == 48 && !refused.Has("pong") && retried.Has("pong"),
                    $"wrong salt: {refused}; with the salt given: {retried}");
            })
        {
            Passes = "the answer to the ping under a wrong salt holds bad_server_salt with error_code 48 and no pong (the ping was not "
                + "processed), and the same ping re-sent in the same session under its new_server_salt is answered with pong. Anything "
                + "else fails: no bad_server_salt, another code, a pong beside it, or no pong after. -429: not applicable.",
        },
        new("SES-002", "session", Must, "The first message of a new session is answered together with new_session_created naming it.", "§3.5",
            "a ping as a session's first message", "new_session_created(first_msg_id = the ping's msg_id) and pong", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(1), out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? created = reply.Find("new_session_created");
                return CaseOutcome.Check(created?.Get<long>("first_msg_id") == header.MsgId && reply.Has("pong"), $"answer: {reply}");
            })
        {
            Passes = "the answer to a fresh session's first ping (a random session_id on the run's key) holds new_session_created whose "
                + "first_msg_id is that ping's msg_id, and pong. Either missing, another first_msg_id, silence or a closed connection "
                + "fails. -429: not applicable.",
        },
        new("SES-003", "session", Must,
            "Sessions of one auth key are kept apart: a second session_id is a new session (new_session_created) with its own replay window and seq_nos.",
            "§3.5", "a warm session, then a ping under a new session_id on the same key and connection",
            "an answer under the second session_id with new_session_created(first_msg_id = that ping's msg_id) and pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                var second = probe.Session.NewSession();
                byte[] data = probe.Serialize(Probe.Ping(2));
                (byte[] wire, EnvelopeHeader header) = second.Encrypt(data, contentRelated: true);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                bool ok = reply.Header?.SessionId == second.SessionId && reply.Find("new_session_created")?.Get<long>("first_msg_id") == header.MsgId
                    && reply.Has("pong");
                return CaseOutcome.Check(ok, $"answer to the second session: {reply} (session_id {(reply.Header?.SessionId == second.SessionId ? "ours" : "not ours")})");
            })
        {
            Passes = "the answer to the second session's first ping is encrypted under the second session_id and holds "
                + "new_session_created whose first_msg_id is that ping's msg_id, and pong. Another session_id, no new_session_created, "
                + "another first_msg_id, no pong, silence or a closed connection fail. -429: not applicable.",
        },
        new("SES-004", "session", Should, "get_future_salts returns the requested number of salts, the first valid now.", "§3.5, §8",
            "get_future_salts(3)", "future_salts with 3 salts, the first covering the server's now", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply reply = await probe.SendAsync(Probe.Call("get_future_salts", 3), c.Cancel);
                if (reply.Find("future_salts") is not { } salts)
                {
                    return CaseOutcome.Fail($"answer: {reply}");
                }

                TlObject[] list = salts.Get<object?[]>("salts").Cast<TlObject>().ToArray();
                int now = salts.Get<int>("now");
                bool ok = list.Length == 3 && list[0].Get<int>("valid_since") <= now && now < list[0].Get<int>("valid_until");
                return CaseOutcome.Check(ok, $"{list.Length} salts; now {now}; first valid {list.FirstOrDefault()?.Get<int>("valid_since")}..{list.FirstOrDefault()?.Get<int>("valid_until")}");
            })
        {
            Passes = "the answer holds future_salts with exactly 3 salts and the first one's valid_since <= now < valid_until, now being "
                + "the server's own now field. No future_salts (silence, an error, a closed connection), another count or a first salt "
                + "not covering now fails. -429: not applicable.",
        },
        new("SES-005", "session", Should, "destroy_session on another session of the same key answers destroy_session_ok, and on an unknown one destroy_session_none.",
            "§8", "two sessions; destroy_session(the other), then destroy_session(a random id)", "destroy_session_ok, then destroy_session_none", async c =>
            {
                // A key of its own: destroying a session makes the server forget its history, and a new session of the same
                // key whose first msg_id is below what that session saw is then refused with 20 (docs/protocol.md §3.4), which
                // would turn the verdict of a case running beside this one on the run's shared key.
                SharedKey key = await c.OwnKeyAsync();
                await using Probe probe = await (await Probe.OpenOnKeyAsync(c.Target, key, c.Cancel)).WarmAsync(c.Cancel);
                await using Probe other = await (await Probe.OpenOnKeyAsync(c.Target, key, c.Cancel)).WarmAsync(c.Cancel);
                Reply first = await probe.SendAsync(Probe.Call("destroy_session", other.Session.SessionId), c.Cancel);
                // A fresh random id each run: a fixed one could name a session that something else created on the shared key.
                Reply second = await probe.SendAsync(Probe.Call("destroy_session", BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))),
                    c.Cancel);
                return CaseOutcome.Check(first.Result() == "destroy_session_ok" && second.Result() == "destroy_session_none",
                    $"other session: {first}; unknown session: {second}");
            })
        {
            Passes = "on a key made for this case, the answer to destroy_session(another live session of the key, warmed by a pong) is destroy_session_ok and the "
                + "answer to destroy_session(a random id drawn for this run) is destroy_session_none, each inside rpc_result or as the "
                + "first answer that is not new_session_created or msgs_ack. Any other answer, silence or a closed connection fails. "
                + "-429: not applicable.",
        },
        new("SES-006", "session", Must, "The salt new_session_created carries is accepted for the next message.", "§3.5",
            "a session's first ping, then a ping under new_session_created's salt", "pong", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                Reply first = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                if (first.Find("new_session_created") is not { } created)
                {
                    return CaseOutcome.Fail($"no new_session_created: {first}");
                }

                probe.Session.Salt = created.Get<long>("server_salt");
                Reply second = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(second.Has("pong") && !second.Has("bad_server_salt"), $"answer under that salt: {second}");
            })
        {
            Passes = "a fresh session's first ping is answered with new_session_created, and the next ping, under the server_salt it "
                + "carries, is answered with pong and no bad_server_salt. No new_session_created, bad_server_salt, no pong, silence or a "
                + "closed connection fails. -429: not applicable.",
        },
        new("SES-007", "session", Should, "After destroy_auth_key the key is gone: its messages get -404.", "§8",
            "destroy_auth_key, then a ping under the same key", "destroy_auth_key_ok, then -404", async c =>
            {
                await using Probe probe = await c.OwnKeySessionAsync();
                await probe.WarmAsync(c.Cancel);
                Reply destroyed = await probe.SendAsync(Probe.Call("destroy_auth_key"), c.Cancel);
                Reply after = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(destroyed.Result() == "destroy_auth_key_ok" && after.TransportError == -404, $"destroy_auth_key: {destroyed}; then: {after}");
            })
        {
            Passes = "on a key made for this case, destroy_auth_key is answered with destroy_auth_key_ok (in rpc_result or unwrapped) and "
                + "the next ping under that key with transport error -404 exactly. Another answer, another transport error, pong, "
                + "silence or a closed connection fails. -429 (including on the case's own handshake): not applicable.",
        },
        new("SES-008", "session", Must, "bad_server_salt names the refused message: its msg_id and seq_no.", "§3.5, §3.6",
            "a ping under a wrong salt", "bad_server_salt(bad_msg_id, bad_msg_seqno) of that ping", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                probe.Session.Salt ^= 0x77;
                byte[] wire = probe.Seal(Probe.Ping(1), out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? bad = reply.Find("bad_server_salt");
                return CaseOutcome.Check(bad?.Get<long>("bad_msg_id") == header.MsgId && bad.Get<int>("bad_msg_seqno") == header.SeqNo, $"answer: {reply}");
            })
        {
            Passes = "the answer to a ping under a wrong salt holds bad_server_salt whose bad_msg_id and bad_msg_seqno are that ping's "
                + "msg_id and seq_no. No bad_server_salt, other values, silence or a closed connection fails. -429: not applicable.",
        },
    ];
}
