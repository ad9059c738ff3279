using System.Buffers.Binary;
using System.Security.Cryptography;
using Testbed.Conformance.Running;
using Testbed.Protocol.Envelope;
using Testbed.Protocol.Handshake;
using Testbed.Protocol.Messages;
using Testbed.Protocol.Tl;
using static Testbed.Conformance.Catalog.RequirementLevel;

namespace Testbed.Conformance.Catalog;

/// <summary>Further requirements across the categories: reflection, cut-and-paste, server headers, limits, garbage.</summary>
internal static class MoreCases
{
    private static readonly long[] OneId = [1];

    public static IEnumerable<ConformanceCase> All() =>
    [
        new("ENV-014", "envelope", Must, "A message encrypted with the server-to-client keys (a reflected server message) is refused with -404.", "§2.2, §2.4",
            "a ping encrypted with x = 8", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] data = probe.Serialize(Probe.Ping(1));
                int padding = PaddingPolicy.MinimalLength(data.Length);
                byte[] wire = new byte[MessageEnvelope.GetWireLength(data.Length, padding)];
                MessageEnvelope.Encrypt(probe.Key, MessageDirection.ServerToClient, probe.Session.NextHeader(true), data, padding, wire);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            }),
        new("ENV-015", "envelope", Must, "Ciphertext blocks cut from one message and pasted into another are refused with -404.", "§2.4",
            "a ping whose last block is replaced by another ping's", "-404", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] a = probe.Seal(Probe.Ping(1), out _), b = probe.Seal(Probe.Ping(2), out _);
                b.AsSpan(b.Length - 16).CopyTo(a.AsSpan(a.Length - 16));
                Reply reply = await probe.ExchangeAsync(a, c.Cancel);
                return CaseOutcome.Check(reply.TransportError == -404, $"answer: {reply}");
            }),
        new("ENV-016", "envelope", Must, "A valid envelope whose message data is not a TL object is refused (-404) and the session goes on.", "§2.4, §4.2",
            "64 random bytes as message data under a correct msg_key, then a ping", "-404 (or a refusal), then pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] garbage = RandomNumberGenerator.GetBytes(64);
                BinaryPrimitives.WriteUInt32LittleEndian(garbage, 0xdeadbeef);
                Reply reply = await probe.ExchangeAsync(probe.Session.Encrypt(probe.Session.NextHeader(true), garbage, PaddingPolicy.MinimalLength(64)), c.Cancel);
                Reply after = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(!reply.Has("pong") && !reply.TimedOut && after.Has("pong"), $"garbage: {reply}; then a ping: {after}");
            }),
        new("MID-008", "msgid", Must, "A message replayed on a new connection is not executed again: replay protection is per session, not per connection.",
            "§3.4", "a ping, then its packet again over a new connection", "no newly made pong", async c =>
            {
                if (c.Target.Transport == "http")
                {
                    return CaseOutcome.NotApplicable("HTTP has no connections to change");
                }

                await using Probe probe = await c.WarmSessionAsync();
                byte[] wire = probe.Seal(Probe.Ping(81), out _);
                Reply first = await probe.ExchangeAsync(wire, c.Cancel);
                await probe.ReconnectAsync(c.Cancel);
                Reply again = await probe.ExchangeAsync(wire, c.Cancel);
                long[] firstPongs = [.. first.Messages.Where(m => m.Body.Combinator.Name == "pong").Select(m => m.MsgId)];
                bool newPong = again.Messages.Any(m => m.Body.Combinator.Name == "pong" && !firstPongs.Contains(m.MsgId));
                return CaseOutcome.Check(!newPong, $"first: {first}; replay on a new connection: {again}");
            }),
        ServerHeaders("SVC-017", "Every server msg_id has a server's low bits (01 for answers, 11 for notifications).", (_, m) =>
            (m.MsgId & 3) is 1 or 3 ? null : $"msg_id {m.MsgId} has low bits {m.MsgId & 3}"),
        ServerHeaders("SVC-018", "Server seq_nos are odd for content-related messages and even for the others.", (_, m) =>
            ((m.SeqNo & 1) == 1) == ContentRelated.IsContentRelated(m.Body.Combinator.Id) || m.Body.Combinator.Name is "bad_msg_notification" or "bad_server_salt"
                ? null : $"{m.Body.Combinator.Name} has seq_no {m.SeqNo}"),
        ServerHeaders("SVC-019", "Server msg_ids carry the server's time, within 300 s of the client's corrected clock.", (probe, m) =>
            Math.Abs((MsgId.ToTime(m.MsgId) - (DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset)).TotalSeconds) < 300
                ? null : $"msg_id {m.MsgId} is {MsgId.ToTime(m.MsgId):u}"),
        new("SVC-020", "service", Must, "Server msg_ids increase: every answer's msg_id is above the previous answer's in the session.", "§3.1",
            "five pings in a row", "five increasing answer msg_ids", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                var ids = new List<long>();
                for (int i = 0; i < 5; i++)
                {
                    Reply reply = await probe.SendAsync(Probe.Ping(i), c.Cancel);
                    ids.AddRange(reply.Header is { } h ? [h.MsgId] : []);
                }

                return CaseOutcome.Check(ids.Count == 5 && ids.Zip(ids.Skip(1)).All(p => p.Second > p.First), $"answer msg_ids: {string.Join(", ", ids)}");
            }),
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
            }),
        new("SES-007", "session", Should, "After destroy_auth_key the key is gone: its messages get -404.", "§8",
            "destroy_auth_key, then a ping under the same key", "destroy_auth_key_ok, then -404", async c =>
            {
                await using Probe probe = await c.OwnKeySessionAsync();
                await probe.WarmAsync(c.Cancel);
                Reply destroyed = await probe.SendAsync(Probe.Call("destroy_auth_key"), c.Cancel);
                Reply after = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(destroyed.Result() == "destroy_auth_key_ok" && after.TransportError == -404, $"destroy_auth_key: {destroyed}; then: {after}");
            }),
        new("SVC-013", "service", Must, "A msg_container of more than 1024 messages is refused with bad_msg_notification 64.", "§3.8",
            "a container of 1025 pings", "bad_msg_notification 64, no pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] ping = probe.Serialize(Probe.Ping(1));
                (byte[] wire, _, _) = probe.Session.EncryptContainer([.. Enumerable.Range(0, 1025).Select(_ => (ping, true))]);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                return CaseOutcome.Check(reply.BadMsgCode == 64 && !reply.Has("pong"), $"answer: {reply}");
            }),
        new("SVC-014", "service", Must, "msgs_ack listing more than 8192 ids does not disturb the server: the session goes on.", "§8",
            "msgs_ack with 8193 ids, then a ping", "pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("msgs_ack", Enumerable.Range(1, 8193).Select(i => (long)i).ToArray()), out _), c.Cancel);
                Reply reply = await probe.SendAsync(Probe.Ping(3), c.Cancel);
                if (c.Target.Transport == "http" && !reply.Has("pong"))
                {
                    reply = await probe.SendAsync(Probe.Ping(4), c.Cancel);
                }

                return CaseOutcome.Check(reply.Has("pong"), $"ping after the long ack: {reply}");
            }),
        new("SVC-015", "service", Should, "msg_resend_req gets an unacknowledged answer again, under a new header.", "§3.9, §8",
            "an RPC call left unacknowledged, then msg_resend_req(its answer's msg_id)", "the answer again, not under its first header", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply rpc = await probe.SendAsync(Probe.Call("destroy_session", 7L), c.Cancel);
                ServerMessage? answer = rpc.Messages.FirstOrDefault(m => m.Body.Combinator.Name == "rpc_result");
                if (answer is null || rpc.Header is not { } original)
                {
                    return CaseOutcome.Fail($"no rpc_result: {rpc}");
                }

                Reply resent = await probe.SendAsync(Probe.Call("msg_resend_req", new[] { answer.MsgId }), c.Cancel);
                bool again = resent.Messages.Any(m => m.MsgId == answer.MsgId);
                return CaseOutcome.Check(again && resent.Header?.MsgId != original.MsgId, $"first: {rpc}; after msg_resend_req: {resent}");
            }),
        new("SVC-016", "service", Must, "msgs_state_req reports 1 for an id below the session's memory and 2 for a gap between processed ids.", "§8",
            "pings A and C, then msgs_state_req([an id older than the session, B])", "statuses 1 and 2", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                EnvelopeHeader old = probe.Session.NextHeader(true);
                await probe.WarmAsync(c.Cancel);
                EnvelopeHeader gap = probe.Session.NextHeader(true);
                await probe.SendAsync(Probe.Ping(3), c.Cancel);
                Reply reply = await probe.SendAsync(Probe.Call("msgs_state_req", new[] { old.MsgId, gap.MsgId }), c.Cancel);
                byte[]? info = reply.Find("msgs_state_info")?.Get<byte[]>("info");
                return CaseOutcome.Check(info is { Length: 2 } && info[0] == 1 && (info[1] & 7) == 2,
                    $"answer: {reply}; info {(info is null ? "none" : Convert.ToHexString(info))}");
            }),
        new("HSK-013", "handshake", Must, "The old RSA encoding (SHA1 | data | padding, open to a timing attack) is refused: only RSA_PAD is accepted.",
            "§5.2, §7", "req_DH_params with the legacy encoding", "-404", async c =>
            {
                try
                {
                    var transport = await c.Target.ConnectAsync(c.Cancel);
                    await using (transport.ConfigureAwait(false))
                    {
                        await Testbed.Protocol.Client.TransportHandshake.RunAsync(transport, c.Target.ServerKey,
                            new HandshakeClientOptions { DataCenter = c.Target.DataCenter, UseLegacyRsa = true }, null, c.Cancel);
                    }

                    return CaseOutcome.Fail("a handshake with the legacy RSA encoding completed");
                }
                catch (Testbed.Protocol.Client.TransportErrorException e)
                {
                    return CaseOutcome.Check(e.Code == -404, $"refused with {e.Code}");
                }
            }),
        new("HSK-014", "handshake", Must, "A temporary key (p_q_inner_data_temp_dc) is created and accepted like a permanent one.", "§5.3",
            "a handshake with expires_in = 3600, then a ping", "pong", async c =>
            {
                var transport = await c.Target.ConnectAsync(c.Cancel);
                await using (transport.ConfigureAwait(false))
                {
                    HandshakeClientDone done = await Testbed.Protocol.Client.TransportHandshake.RunAsync(transport, c.Target.ServerKey,
                        new HandshakeClientOptions { DataCenter = c.Target.DataCenter, TemporaryKeyExpiresIn = 3600 }, null, c.Cancel);
                    using var key = AuthKey.FromBytes(done.AuthKey);
                    var session = new Testbed.Protocol.Sessions.ClientSession(key, done.ServerSalt);
                    session.MsgIds.ClockOffset = done.ServerTimeOffset;
                    await transport.SendAsync(session.Encrypt(TlCodec.Testbed.Serialize(Probe.Ping(1)), true).Wire, c.Cancel);
                    byte[]? answer = await transport.ReceiveAsync(c.Cancel);
                    bool ok = answer is not null && session.TryDecrypt(answer, out _, out byte[] data) && data.Length > 0;
                    return CaseOutcome.Check(ok, ok ? "the temporary key works" : $"answer: {(answer is null ? "none" : $"{answer.Length} bytes")}");
                }
            }),
        Accepted("MID-009", "250 s in the past", -250),
        Accepted("MID-010", "20 s in the future", 20),
        new("SEQ-004", "seqno", Must, "A msgs_ack with a correct even seq_no is accepted silently: no bad_msg_notification.", "§3.3",
            "msgs_ack([a server msg_id]) then a ping", "pong and no bad_msg_notification", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                Reply pong = await probe.SendAsync(Probe.Ping(1), c.Cancel);
                long[] ids = [.. pong.Messages.Select(m => m.MsgId)];
                await probe.Transport.SendAsync(probe.Seal(Probe.Call("msgs_ack", ids), out _), c.Cancel);
                Reply reply = await probe.NextAsync(TimeSpan.FromMilliseconds(c.Target.Transport == "http" ? 0 : 500), c.Cancel);
                Reply next = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                bool refused = reply.BadMsgCode is not null || next.BadMsgCode is not null;
                return CaseOutcome.Check(!refused && next.Has("pong"), $"after msgs_ack: {reply}; then a ping: {next}");
            }),
        new("SES-008", "session", Must, "bad_server_salt names the refused message: its msg_id and seq_no.", "§3.5, §3.6",
            "a ping under a wrong salt", "bad_server_salt(bad_msg_id, bad_msg_seqno) of that ping", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                probe.Session.Salt ^= 0x77;
                byte[] wire = probe.Seal(Probe.Ping(1), out EnvelopeHeader header);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                TlObject? bad = reply.Find("bad_server_salt");
                return CaseOutcome.Check(bad?.Get<long>("bad_msg_id") == header.MsgId && bad.Get<int>("bad_msg_seqno") == header.SeqNo, $"answer: {reply}");
            }),
        new("TRN-007", "transport", Must, "A WebSocket text message closes the connection: MTProto travels in binary messages.", "§6",
            "a text message on /apiws", "the connection closed", async c =>
            {
                if (c.Target.Transport != "websocket")
                {
                    return CaseOutcome.NotApplicable("a WebSocket test");
                }

                using var socket = new System.Net.WebSockets.ClientWebSocket();
                socket.Options.AddSubProtocol("binary");
                await socket.ConnectAsync(c.Target.Address, c.Cancel);
                await socket.SendAsync("hello"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, c.Cancel);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c.Cancel);
                timeout.CancelAfter(Probe.AnswerTimeout);
                var result = await socket.ReceiveAsync(new byte[64], timeout.Token);
                return CaseOutcome.Check(result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close, $"the server answered with a {result.MessageType} message");
            }),
        new("ROB-003", "robustness", Must, "A deeply nested object inside a valid envelope is refused without harm, and the session goes on.", "§4.2",
            "gzip_packed nested 64 deep around a ping, then a ping", "a refusal, then pong", async c =>
            {
                await using Probe probe = await c.WarmSessionAsync();
                byte[] data = probe.Serialize(Probe.Ping(1));
                for (int i = 0; i < 64; i++)
                {
                    data = probe.Serialize(Probe.Call("gzip_packed", data));
                }

                Reply reply = await probe.ExchangeAsync(probe.Session.Encrypt(probe.Session.NextHeader(true), data, PaddingPolicy.MinimalLength(data.Length)), c.Cancel);
                Reply after = await probe.SendAsync(Probe.Ping(2), c.Cancel);
                return CaseOutcome.Check(!reply.Has("pong") && after.Has("pong"), $"nested: {reply}; then a ping: {after}");
            }),
    ];

    private static ConformanceCase Accepted(string id, string when, int seconds) =>
        new(id, "msgid", Should, $"A msg_id {when} is inside the window and accepted: the server is not stricter than -300 s / +30 s.", "§3.2",
            $"the first ping of a new session with a msg_id {Math.Abs(seconds)} s {(seconds < 0 ? "old" : "ahead")}", "pong", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                DateTimeOffset serverNow = DateTimeOffset.UtcNow + probe.Session.MsgIds.ClockOffset;
                EnvelopeHeader header = probe.Session.NextHeader(true) with { MsgId = MsgId.FromTime(serverNow.AddSeconds(seconds)) & ~3L };
                Reply reply = await probe.SendAsync(header, Probe.Ping(1), c.Cancel);

                // A server that started less than 300 s ago cannot know whether it processed an older msg_id before
                // it started, and may say so with 20 (docs/protocol.md §3.4): not stricter than the window, but honest.
                bool unverifiable = seconds < 0 && reply.BadMsgCode == 20;
                return CaseOutcome.Check(reply.Has("pong") || unverifiable,
                    unverifiable ? $"answer: {reply} (msg_id from before the server's start: it cannot verify it)" : $"answer: {reply}");
            });

    private static ConformanceCase ServerHeaders(string id, string requirement, Func<Probe, ServerMessage, string?> problem) =>
        new(id, "service", Must, requirement, "§3.1, §3.3", "a container of ping, get_future_salts and msgs_ack in a new session",
            "every server message well formed", async c =>
            {
                await using Probe probe = await c.NewSessionAsync();
                (byte[] wire, _, _) = probe.Session.EncryptContainer([(probe.Serialize(Probe.Ping(1)), true),
                    (probe.Serialize(Probe.Call("get_future_salts", 1)), true), (probe.Serialize(Probe.Call("msgs_ack", OneId)), false)]);
                Reply reply = await probe.ExchangeAsync(wire, c.Cancel);
                var all = reply.Messages.ToList();
                if (reply.Header is { } h && reply.Messages.Count > 1)
                {
                    all.Add(new ServerMessage(h.MsgId, h.SeqNo, new TlObject(TlSchema.Testbed["msg_container"], (object)Array.Empty<object?>())));
                }

                string[] problems = [.. all.Select(m => problem(probe, m)).OfType<string>()];
                return CaseOutcome.Check(all.Count > 0 && problems.Length == 0, $"answer: {reply}" + (problems.Length > 0 ? "; " + string.Join("; ", problems) : ""));
            });
}
