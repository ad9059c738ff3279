using Testbed.Protocol.Envelope;
using Testbed.Protocol.Messages;

namespace Testbed.Protocol.Sessions;

/// <summary>
/// The receiver's checks on each decrypted and authenticated message of one session (docs/protocol.md §3), in a
/// fixed order, each a named step:
/// <list type="number">
/// <item>the two low bits of msg_id (18);</item>
/// <item>a msg_id already processed is a duplicate, answered but never processed again;</item>
/// <item>the time window: too old (16) or too far ahead (17);</item>
/// <item>below every remembered id, or from before the receiver last forgot this session (a restart, an evicted or
/// destroyed session): too old to tell whether it was seen (20);</item>
/// <item>strict order: below the highest processed id (16) — the reordering fix;</item>
/// <item>seq_no: parity (34, 35) and order against its neighbours (32, 33);</item>
/// <item>the server salt (48, as bad_server_salt).</item>
/// </list>
/// The salt comes last so that a client re-sending with the right salt is told about every other problem first.
/// Nothing is remembered until <see cref="Record"/>. Not thread-safe: one per session, used under its lock.
/// </summary>
public sealed class SessionAdmission
{
    private readonly AdmissionPolicy _policy;
    private readonly MsgIdWindow _window;
    private readonly MsgIdSender _sender;
    private readonly long _forgottenBelow;

    /// <summary>Creates the checks for messages from <paramref name="sender"/> (the client, on a server).</summary>
    /// <param name="policy">The rules; <see cref="AdmissionPolicy.Hardened"/> when null.</param>
    /// <param name="sender">Who sends the messages checked.</param>
    /// <param name="forgottenBelow">
    /// msg_ids below this may have been processed by an earlier instance of the session that the receiver no longer
    /// remembers — the server restarted, or the session was evicted or destroyed — so they are refused like ids below
    /// the window (20). Without it, a message captured before a restart replays into a new session (the replay lab's
    /// "after a server restart" case). 0 when nothing was forgotten.
    /// </param>
    public SessionAdmission(AdmissionPolicy? policy = null, MsgIdSender sender = MsgIdSender.Client, long forgottenBelow = 0)
    {
        _policy = policy ?? AdmissionPolicy.Hardened;
        _window = new MsgIdWindow(_policy.WindowCapacity);
        _sender = sender;
        _forgottenBelow = forgottenBelow;
    }

    /// <summary>The msg_ids processed so far (bounded).</summary>
    public MsgIdWindow Window => _window;

    /// <summary>Decides what to do with a message.</summary>
    /// <param name="header">The decrypted header.</param>
    /// <param name="contentRelated">Whether the body is content-related (<see cref="ContentRelated"/>).</param>
    /// <param name="saltAccepted">Whether the salt is one the server currently accepts for this key.</param>
    /// <param name="now">The receiver's clock.</param>
    public AdmissionVerdict Check(in EnvelopeHeader header, bool contentRelated, bool saltAccepted, DateTimeOffset now)
    {
        long msgId = header.MsgId;
        if (_policy.CheckMsgIdLowBits && !MsgId.HasSenderBits(msgId, _sender))
        {
            return AdmissionVerdict.Refuse(BadMsgCode.MsgIdBadLowBits, "msg_id has the wrong low bits");
        }

        MsgIdWindowCheck seen = _window.Check(msgId);
        if (seen == MsgIdWindowCheck.Duplicate && !_policy.AcceptDuplicates)
        {
            return new AdmissionVerdict(AdmissionAction.Duplicate, null, "msg_id already processed");
        }

        if (!_policy.IgnoreTimeWindow
            && MsgIdRules.Validate(_policy.CheckMsgIdLowBits ? msgId : msgId & ~3L, _sender, now, _policy.MaxPast, _policy.MaxFuture) is { } timeCode)
        {
            return AdmissionVerdict.Refuse(timeCode, timeCode == BadMsgCode.MsgIdTooLow ? "msg_id too old" : "msg_id too far in the future");
        }

        if (seen == MsgIdWindowCheck.BelowWindow && _policy.RefuseBelowWindow)
        {
            return AdmissionVerdict.Refuse(BadMsgCode.MessageTooOld, "msg_id below the replay window");
        }

        // A time bound as much as a replay bound: the faults that drop either check drop it too.
        if (msgId < _forgottenBelow && _policy.RefuseBelowWindow && !_policy.IgnoreTimeWindow)
        {
            return AdmissionVerdict.Refuse(BadMsgCode.MessageTooOld, "msg_id from before the session's history was forgotten (restart, eviction or destroy_session)");
        }

        SeenMessage? highest = _policy.LateMessagesOrderedBySeqNo && seen == MsgIdWindowCheck.FreshOutOfOrder ? _window.Find(_window.Highest!.Value) : null;
        bool lateButSeqNoAhead = highest is { } last && header.SeqNo > last.SeqNo;
        if (seen == MsgIdWindowCheck.FreshOutOfOrder && _policy.StrictOrder && !lateButSeqNoAhead)
        {
            return AdmissionVerdict.Refuse(BadMsgCode.MsgIdTooLow, "msg_id below one already processed (strict order)");
        }

        (SeenMessage? previous, SeenMessage? next) = lateButSeqNoAhead ? (highest, null) : _window.Neighbours(msgId);
        if (SeqNoRules.Check(header.SeqNo, contentRelated, previous, next) is { } seqCode && !_policy.IgnoredSeqNoRefusals.Contains(seqCode))
        {
            return AdmissionVerdict.Refuse(seqCode, $"seq_no {header.SeqNo} refused");
        }

        if (!saltAccepted && !_policy.IgnoreSalt)
        {
            return new AdmissionVerdict(AdmissionAction.BadSalt, BadMsgCode.BadServerSalt, "wrong server salt");
        }

        return AdmissionVerdict.Process;
    }

    /// <summary>Remembers a message that was processed (only after <see cref="Check"/> said Process).</summary>
    public void Record(in EnvelopeHeader header)
    {
        if (_window.Check(header.MsgId) is MsgIdWindowCheck.Fresh or MsgIdWindowCheck.FreshOutOfOrder)
        {
            _window.Record(header.MsgId, header.SeqNo);
        }
    }
}
