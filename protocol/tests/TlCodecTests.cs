using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Testbed.Protocol.Tl;

namespace Testbed.Protocol.Tests;

public sealed class TlCodecTests
{
    // The MTProto schema plus combinators that exercise what it lacks: flags, true, Bool, double, int, bare vectors.
    private const string ExtraSchema = """
        test_flags#11111111 flags:# a:flags.0?int b:flags.1?true c:flags.2?Vector<long> d:string e:flags.3?Bool = TestFlags;
        test_values#22222222 x:double y:Bool z:vector<int> w:Vector<string> v:Vector<TestFlags> = TestValues;
        """;

    private static readonly TlSchema Schema = TlSchema.Parse(ExtraSchema + "\n" + TlSchema.MTProtoText);
    private static readonly TlCodec Codec = new(Schema);

    [Fact]
    public void Every_declared_constructor_id_is_the_crc32_of_its_combinator()
    {
        foreach (TlCombinator combinator in TlSchema.Testbed.Combinators)
        {
            Assert.True(combinator.DeclaredId == combinator.ComputedId,
                $"{combinator.Name}: declared {combinator.DeclaredId:x8}, CRC32 of '{combinator.CanonicalText}' is {combinator.ComputedId:x8}");
        }
    }

    [Property(MaxTest = 500)]
    public Property Any_object_round_trips_byte_for_byte() =>
        Prop.ForAll(Generators.Seed.ToArbitrary(), seed =>
        {
            TlObject value = new TlRandomValues(Schema, new Random(seed)).AnyObject();
            byte[] bytes = Codec.Serialize(value);
            TlObject read = Codec.Deserialize(bytes);
            return (read.Equals(value) && Codec.Serialize(read).AsSpan().SequenceEqual(bytes) && bytes.Length % 4 == 0)
                .Label(value.ToString());
        });

    [Property(MaxTest = 300)]
    public Property Every_proper_prefix_of_a_valid_object_fails_with_a_decode_error() =>
        Prop.ForAll(Generators.Seed.ToArbitrary(), seed =>
        {
            byte[] bytes = Codec.Serialize(new TlRandomValues(Schema, new Random(seed)).AnyObject());
            int length = seed % bytes.Length;
            var error = Assert.Throws<TlDecodeException>(() => Codec.Deserialize(bytes.AsSpan(0, length)));
            return (error.Error is TlDecodeError.Truncated or TlDecodeError.InvalidCount).Label($"{length}/{bytes.Length}: {error.Error}");
        });

    [Property(MaxTest = 1000)]
    public Property Arbitrary_bytes_either_decode_or_fail_with_a_decode_error() =>
        Prop.ForAll(Generators.Seed.ToArbitrary(), Generators.Bytes(0, 200).ToArbitrary(), (seed, noise) =>
        {
            // Half the inputs start with a real constructor id, so decoding gets past the first word.
            byte[] input = noise;
            if (seed % 2 == 0 && noise.Length >= 4)
            {
                BitConverter.TryWriteBytes(noise, Schema.Combinators[seed % Schema.Combinators.Count].Id);
            }

            try
            {
                TlObject value = Codec.Deserialize(input);
                return Codec.Serialize(value).AsSpan().SequenceEqual(input).Label("what reads, writes back identically");
            }
            catch (TlDecodeException)
            {
                return true.ToProperty();
            }
        });

    [Theory]
    [InlineData(0, 4)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(253, 256)]
    [InlineData(254, 260)]
    [InlineData(255, 260)]
    [InlineData(1000, 1004)]
    public void Strings_use_the_short_form_below_254_and_pad_to_4(int length, int encoded)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new TlWriter(buffer).WriteBytes(new byte[length]);
        Assert.Equal(encoded, buffer.WrittenCount);
        Assert.Equal(encoded, TlWriter.EncodedLength(length));
        Assert.Equal(length < 254 ? length : 254, buffer.WrittenSpan[0]);
        var reader = new TlReader(buffer.WrittenSpan);
        Assert.Equal(length, reader.ReadBytes().Length);
        Assert.Equal(0, reader.Remaining);
    }

    public static TheoryData<string, string, TlDecodeError> MalformedInputs() => new()
    {
        { "unknown constructor", "efbeadde", TlDecodeError.UnknownConstructor },
        { "truncated long", "ec77be7a0100", TlDecodeError.Truncated },
        { "long-form length under 254", "19ca4421" + "90010000" + "fe050000" + "0102030405000000", TlDecodeError.NonCanonicalLength },
        { "0xFF length prefix", "19ca4421" + "90010000" + "ff000000", TlDecodeError.InvalidLengthPrefix },
        { "non-zero string padding", "19ca4421" + "90010000" + "01aa0100", TlDecodeError.NonZeroPadding },
        { "vector count past the end", "59b4d662" + "15c4b51c" + "ffffff7f", TlDecodeError.InvalidCount },
        { "negative vector count", "59b4d662" + "15c4b51c" + "ffffffff", TlDecodeError.InvalidCount },
        { "vector without its id", "59b4d662" + "00000000" + "00000000", TlDecodeError.NotAVector },
        { "trailing bytes", "ec77be7a" + "0100000000000000" + "00000000", TlDecodeError.TrailingBytes },
        { "invalid Bool", "22222222" + "0000000000000000" + "00000000", TlDecodeError.InvalidBool },
    };

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public void Malformed_input_fails_with_the_specific_error(string name, string hex, TlDecodeError expected)
    {
        var error = Assert.Throws<TlDecodeException>(() => Codec.Deserialize(Convert.FromHexString(hex)));
        Assert.True(expected == error.Error, $"{name}: {error.Message}");
    }

    [Fact]
    public void A_constructor_of_the_wrong_type_is_refused()
    {
        byte[] rpcError = Codec.Serialize(new TlObject(Schema["rpc_error"], 400, "BAD"u8.ToArray()));
        var reader = new TlReader(rpcError);
        try
        {
            Codec.ReadBoxed(ref reader, "ResPQ");
            Assert.Fail("rpc_error was read as a ResPQ");
        }
        catch (TlDecodeException e)
        {
            Assert.Equal(TlDecodeError.WrongType, e.Error);
        }
    }

    [Fact]
    public void Nesting_past_the_limit_is_refused_before_the_stack_grows()
    {
        // msg_copy { message { ..., body = msg_copy { message { ... } } } }, 200 levels: far past the limit of 32.
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new TlWriter(buffer);
        for (int i = 0; i < 200; i++)
        {
            writer.WriteUInt32(Schema["msg_copy"].Id);
            writer.WriteUInt32(Schema["message"].Id);
            writer.WriteInt64(4);
            writer.WriteInt32(1);
            writer.WriteInt32(0);
        }

        var error = Assert.Throws<TlDecodeException>(() => Codec.Deserialize(buffer.WrittenSpan));
        Assert.Equal(TlDecodeError.TooDeep, error.Error);
    }

    [Fact]
    public void A_huge_vector_count_is_refused_without_allocating_it()
    {
        byte[] input = Convert.FromHexString("59b4d662" + "15c4b51c" + "ffffff0f" + "0000000000000000");
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<TlDecodeException>(() => Codec.Deserialize(input));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    public static TheoryData<string, Func<TlObject>> UnwritableValues() => new()
    {
        { "string given as int", () => new TlObject(Schema["rpc_error"], 400, 5) },
        { "int128 of 15 bytes", () => new TlObject(Schema["req_pq_multi"], new byte[15]) },
        { "boxed of the wrong type", () => new TlObject(Schema["msg_copy"], new TlObject(Schema["ping"], 1L)) },
        { "flag set, value absent", () => new TlObject(Schema["test_flags"], 1, null, null, null, Array.Empty<byte>(), null) },
        { "flag clear, value present", () => new TlObject(Schema["test_flags"], 0, 5, null, null, Array.Empty<byte>(), null) },
    };

    [Theory]
    [MemberData(nameof(UnwritableValues))]
    public void Values_that_do_not_fit_their_type_are_refused_on_write(string name, Func<TlObject> value)
    {
        var error = Assert.Throws<TlEncodeException>(() => Codec.Serialize(value()));
        Assert.False(string.IsNullOrEmpty(error.Message), name);
    }

    [Theory]
    [InlineData("a#1 x:Unknown = A;", "has no constructor")]
    [InlineData("a#1 = A;\nb#1 = B;", "repeats the id")]
    [InlineData("a#1 {t:Type} x:t = A t;", "generic")]
    [InlineData("---functions---\nf#1 {X:Type} {Y:Type} q:!X = X;", "generic")]
    [InlineData("this is not tl", "not a combinator")]
    [InlineData("a#1 x:flags.0?int = A;", "no earlier flags field")]
    public void Bad_schemas_are_refused_with_a_clear_message(string text, string message)
    {
        var error = Assert.Throws<TlSchemaException>(() => TlSchema.Parse(text));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_generic_wrapper_carries_any_function_and_an_unknown_one_is_an_unknown_function()
    {
        TlCodec codec = TlCodec.Testbed;
        TlSchema schema = codec.Schema;
        var wrapped = new TlObject(schema["invokeWithLayer"], 193, new TlObject(schema["invokeWithoutUpdates"], new TlObject(schema["ping"], 5L)));
        byte[] bytes = codec.Serialize(wrapped);
        Assert.Equal(wrapped, codec.Deserialize(bytes));
        Assert.True(schema["invokeWithLayer"].IsGeneric);
        Assert.Throws<TlEncodeException>(() => codec.Serialize(wrapped.With("query", new TlObject(schema["pong"], 1L, 2L))));

        bytes.AsSpan(bytes.Length - 12, 4).Fill(0xee); // the inner ping's id
        Assert.Equal(TlDecodeError.UnknownFunction, Assert.Throws<TlDecodeException>(() => codec.Deserialize(bytes)).Error);

        // The browser client's first call, byte for byte as client/test/tl.test.mjs has it from the JS codec.
        byte[] empty = [];
        var initConnection = new TlObject(schema["initConnection"], 0, 1, "A"u8.ToArray(), empty, empty, empty, empty, empty, null, null,
            new TlObject(schema["chat.getSelf"]));
        Assert.Equal("0d0d9bdae3000000a95ecdc10000000001000000" + "01410000" + string.Concat(Enumerable.Repeat("00000000", 5)) + "4eabb7f8",
            Convert.ToHexStringLower(codec.Serialize(new TlObject(schema["invokeWithLayer"], 227, initConnection))));
    }

    [Fact]
    public void Constructor_ids_are_computed_when_the_schema_omits_them()
    {
        TlSchema schema = TlSchema.Parse("ping ping_id:long = Pong;");
        Assert.Equal(0x7abe77ecu, schema["ping"].Id);
    }
}
