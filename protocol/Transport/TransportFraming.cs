namespace Testbed.Protocol.Transport;

/// <summary>The MTProto TCP framings (docs/protocol.md §6). A WebSocket carries the same framings in binary messages.</summary>
public enum TransportFraming
{
    /// <summary>First byte <c>ef</c>; length/4 in one byte below 127, else <c>7f</c> and three bytes of length/4.</summary>
    Abridged,

    /// <summary>First bytes <c>ee ee ee ee</c>; a 4-byte length, then the payload.</summary>
    Intermediate,

    /// <summary>First bytes <c>dd dd dd dd</c>; a 4-byte length, the payload and 0–15 random bytes.</summary>
    PaddedIntermediate,

    /// <summary>No marker; a 4-byte total length, a 4-byte sequence number, the payload and a CRC32.</summary>
    Full,
}
