namespace Testbed.Conformance.Timing.ConstantTime;

/// <summary>One pair's raw measurements, in the order they were taken.</summary>
/// <param name="Nanoseconds">The time of each measured call.</param>
/// <param name="Classes">The class (0 or 1) of each measurement.</param>
/// <param name="Gen0Collections">Generation-0 collections during the measured loop: 0 when nothing was allocated.</param>
/// <param name="AllocatedBytes">Bytes the measuring thread allocated during the measured loop.</param>
/// <param name="Elapsed">Wall time of the measured loop.</param>
internal sealed record TimingSamples(long[] Nanoseconds, byte[] Classes, int Gen0Collections, long AllocatedBytes, TimeSpan Elapsed);
