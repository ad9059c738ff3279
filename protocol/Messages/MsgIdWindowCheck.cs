namespace Testbed.Protocol.Messages;

/// <summary>What <see cref="MsgIdWindow.Check"/> says of a msg_id.</summary>
public enum MsgIdWindowCheck
{
    /// <summary>Never seen, and higher than every stored id (or the window is empty).</summary>
    Fresh,

    /// <summary>
    /// Never seen, inside the window but lower than the highest stored id: a late or reordered message. A server
    /// that enforces strict per-session order refuses it (the fix for the 2022 reordering attack).
    /// </summary>
    FreshOutOfOrder,

    /// <summary>Equal to a stored id: a replay or a re-send.</summary>
    Duplicate,

    /// <summary>Lower than every stored id: whether it was seen can no longer be told, so it is refused.</summary>
    BelowWindow,
}
