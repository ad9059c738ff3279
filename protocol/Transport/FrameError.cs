namespace Testbed.Protocol.Transport;

/// <summary>Why a frame could not be read. Every one of them closes the connection (docs/protocol.md §6).</summary>
public enum FrameError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The announced length is above the reader's limit: refused before the payload is buffered.</summary>
    TooLarge,

    /// <summary>The announced length is impossible (zero, negative, not a multiple of 4, or too short for the framing).</summary>
    BadLength,

    /// <summary>The full framing's sequence number is not the next one.</summary>
    BadSequenceNumber,

    /// <summary>The full framing's CRC32 does not match.</summary>
    BadChecksum,
}
