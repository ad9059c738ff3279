namespace Testbed.Protocol.Handshake;

/// <summary>The outcome of a Diffie-Hellman parameter check (<see cref="DhChecks"/>).</summary>
public enum DhCheck
{
    /// <summary>Acceptable.</summary>
    Ok = 0,

    /// <summary>dh_prime is not a 2048-bit number (2^2047 &lt; p &lt; 2^2048).</summary>
    PrimeWrongSize,

    /// <summary>dh_prime or (dh_prime - 1) / 2 is not prime.</summary>
    PrimeNotSafe,

    /// <summary>g is not one of 2..7, the generators whose subgroup condition MTProto defines.</summary>
    GeneratorUnsupported,

    /// <summary>g does not generate the subgroup of order (p - 1) / 2 for this prime.</summary>
    GeneratorWrongSubgroup,

    /// <summary>g_a or g_b is not strictly between 1 and p - 1.</summary>
    ValueOutOfRange,

    /// <summary>g_a or g_b is closer than 2^(2048-64) to 0 or to p.</summary>
    ValueTooCloseToBounds,
}
