namespace Testbed.Protocol.Transport;

/// <summary>What <see cref="FrameReader.TryRead"/> found at the start of the buffered bytes.</summary>
/// <param name="Status">A whole frame, more bytes needed, or an error.</param>
/// <param name="Consumed">Bytes the frame took from the buffer (header, payload, padding, checksum).</param>
/// <param name="PayloadOffset">Where the payload starts in the buffer.</param>
/// <param name="PayloadLength">The payload's length (for padded intermediate, including its random tail).</param>
/// <param name="Error">The error, when <see cref="Status"/> is <see cref="FrameStatus.Error"/>.</param>
public readonly record struct FrameReadResult(FrameStatus Status, int Consumed, int PayloadOffset, int PayloadLength, FrameError Error)
{
    internal static FrameReadResult NeedMore { get; } = new(FrameStatus.NeedMoreData, 0, 0, 0, FrameError.None);

    internal static FrameReadResult Fail(FrameError error) => new(FrameStatus.Error, 0, 0, 0, error);

    internal static FrameReadResult Frame(int consumed, int offset, int length) => new(FrameStatus.Frame, consumed, offset, length, FrameError.None);
}

/// <summary>The outcome kinds of reading a frame.</summary>
public enum FrameStatus
{
    /// <summary>The buffer does not yet hold a whole frame; read more and try again.</summary>
    NeedMoreData,

    /// <summary>A whole frame is in the buffer.</summary>
    Frame,

    /// <summary>The stream is broken; close the connection.</summary>
    Error,
}
