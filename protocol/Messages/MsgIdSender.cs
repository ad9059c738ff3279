namespace Testbed.Protocol.Messages;

/// <summary>
/// Who makes a msg_id, which fixes its two low bits (docs/protocol.md §3.1): client ids are 0 mod 4; server ids
/// are 1 mod 4 when they answer a client message and 3 mod 4 otherwise.
/// </summary>
public enum MsgIdSender
{
    /// <summary>0 mod 4.</summary>
    Client = 0,

    /// <summary>1 mod 4: a server message that answers a client message.</summary>
    ServerResponse = 1,

    /// <summary>3 mod 4: any other server message.</summary>
    ServerNotification = 3,
}
