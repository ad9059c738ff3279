namespace Testbed.Protocol.Messages;

/// <summary>
/// error_code values of bad_msg_notification and bad_server_salt (docs/protocol.md §3.6). They are sent only for
/// messages that decrypted and authenticated correctly.
/// </summary>
public enum BadMsgCode
{
    /// <summary>msg_id too low: more than the allowed window in the past.</summary>
    MsgIdTooLow = 16,

    /// <summary>msg_id too high: too far in the future.</summary>
    MsgIdTooHigh = 17,

    /// <summary>The two low bits of msg_id are wrong for the sender.</summary>
    MsgIdBadLowBits = 18,

    /// <summary>A container's msg_id equals an earlier message's.</summary>
    ContainerMsgIdReused = 19,

    /// <summary>The message is too old to tell whether it was received.</summary>
    MessageTooOld = 20,

    /// <summary>seq_no too low.</summary>
    SeqNoTooLow = 32,

    /// <summary>seq_no too high.</summary>
    SeqNoTooHigh = 33,

    /// <summary>An even seq_no was expected (the message is not content-related) but an odd one came.</summary>
    EvenSeqNoExpected = 34,

    /// <summary>An odd seq_no was expected (the message is content-related) but an even one came.</summary>
    OddSeqNoExpected = 35,

    /// <summary>Wrong server salt; sent as bad_server_salt carrying the right one.</summary>
    BadServerSalt = 48,

    /// <summary>Invalid container.</summary>
    InvalidContainer = 64,
}
