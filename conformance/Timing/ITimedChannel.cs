namespace Testbed.Conformance.Timing;

/// <summary>
/// One open connection to the server under measurement: sends a packet and times it to the whole answer. Called on
/// the sampler's own thread, one exchange at a time.
/// </summary>
internal interface ITimedChannel : IDisposable
{
    /// <summary>
    /// Sends <paramref name="packet"/> and waits for the answer. Returns the nanoseconds from just before the send to
    /// just after the answer's last byte, and the answer: a transport error code (negative), or the answer's length in
    /// bytes for anything else.
    /// </summary>
    /// <exception cref="IOException">The connection closed, or nothing came back within the answer timeout.</exception>
    long Exchange(byte[] packet, out int answer);
}
