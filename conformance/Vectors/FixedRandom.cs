using System.Security.Cryptography;

namespace Testbed.Conformance.Vectors;

/// <summary>
/// A "random" source that hands out given bytes in order: how a vector reproduces a value that was made with random
/// padding. Running out is an error, so a vector cannot pass by reading bytes it does not carry.
/// </summary>
internal sealed class FixedRandom(byte[] bytes) : RandomNumberGenerator
{
    private int _position;

    public override void GetBytes(byte[] data) => GetBytes(data.AsSpan());

    public override void GetBytes(Span<byte> data)
    {
        if (_position + data.Length > bytes.Length)
        {
            throw new InvalidOperationException($"{data.Length} random bytes asked for, {bytes.Length - _position} given by the vector.");
        }

        bytes.AsSpan(_position, data.Length).CopyTo(data);
        _position += data.Length;
    }
}
