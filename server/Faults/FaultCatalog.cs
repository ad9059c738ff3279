namespace Testbed.Server.Faults;

/// <summary>Every fault profile the server knows (docs/protocol.md §7).</summary>
public static class FaultCatalog
{
    /// <summary>All profiles, by name.</summary>
    public static IReadOnlyList<FaultProfile> All { get; } =
    [
        new("accept-duplicates",
            "A msg_id already processed is processed again: every captured message can be replayed.",
            "MTProto description, 'msg_id' and the replay rules; Sušánka & Kokeš, Security Analysis of the Telegram IM, ROOTS 2017",
            p => p with { AcceptDuplicates = true }),
        new("no-time-window",
            "msg_ids more than 300 s old or 30 s ahead are accepted: a message held back for hours is still processed.",
            "MTProto service messages, bad_msg_notification codes 16 and 17",
            p => p with { IgnoreTimeWindow = true }),
        new("reordering-tolerated",
            "The pre-2021 rule: a late message with a lower msg_id is processed when its seq_no fits, so an attacker can reorder a conversation.",
            "Albrecht, Mareková, Paterson, Stepanovs, Four Attacks and a Proof for Telegram, IEEE S&P 2022, attack 1",
            p => p with { StrictOrder = false }),
        new("salt-ignored",
            "The server salt is not checked, so messages outlive salt rotation and captured traffic replays into later periods.",
            "MTProto description, 'server_salt'; bad_server_salt (code 48)",
            p => p with { IgnoreSalt = true }),
        new("replay-window-one",
            "Only the last msg_id is remembered and ids below it are not refused: any message older than the previous one replays.",
            "Sušánka & Kokeš, Security Analysis of the Telegram IM, ROOTS 2017 (replay after the window overflows)",
            p => p with { WindowCapacity = 1, RefuseBelowWindow = false, StrictOrder = false }),
    ];

    /// <summary>The profile called <paramref name="name"/>, or null.</summary>
    public static FaultProfile? Find(string name) => All.FirstOrDefault(f => f.Name == name);
}
