using System.Buffers.Binary;
using Cdc.Decoding.Values;
using Cdc.V1;

namespace Cdc.Decoding.ValueTests;

public sealed class BinaryValueTests
{
    private readonly ValueConverter _converter = new();

    private Value Binary(uint oid, string hex) => _converter.ConvertBinary(oid, Convert.FromHexString(hex));

    [Theory]
    // ndigits, weight, sign, dscale, then base-10000 digits.
    [InlineData("0000000000000000", "0")]
    [InlineData("000000000000000a", "0.0000000000")]
    [InlineData("0002000000000002000c0d80", "12.34")]
    [InlineData("00000000c0000000", "NaN")]
    [InlineData("00000000d0000000", "Infinity")]
    [InlineData("00000000f0000000", "-Infinity")]
    [InlineData("0000000012340000", null)] // unknown sign
    [InlineData("00020000000000020001", null)] // fewer digits than ndigits
    [InlineData("000000000000", null)] // short header
    [InlineData("ffff000000000000", null)] // negative ndigits
    public void Numeric_send_format_is_rendered_exactly(string hex, string? expected)
    {
        if (expected is null)
        {
            Assert.Throws<PgOutputException>(() => Binary(1700, hex));
            return;
        }

        Assert.Equal(expected, Binary(1700, hex).Numeric);
    }

    [Theory]
    [InlineData(new short[] { 12, 3456 }, 0, false, 4, "12.3456")]
    [InlineData(new short[] { 12, 3456 }, 0, false, 2, "12.34")]
    [InlineData(new short[] { 1 }, 25, false, 0, "10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData(new short[] { 1 }, -7, true, 28, "-0.0000000000000000000000000001")]
    [InlineData(new short[] { 9999, 9999 }, 1, true, 0, "-99999999")]
    [InlineData(new short[] { 5 }, -1, false, 1, "0.0")]
    [InlineData(new short[] { 1000 }, -1, false, 5, "0.10000")]
    public void Numeric_weight_scale_and_sign_match_numeric_out(short[] digits, short weight, bool negative, ushort scale, string expected)
    {
        var data = new byte[8 + (digits.Length * 2)];
        BinaryPrimitives.WriteInt16BigEndian(data, (short)digits.Length);
        BinaryPrimitives.WriteInt16BigEndian(data.AsSpan(2), weight);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4), negative ? (ushort)0x4000 : (ushort)0);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(6), scale);
        for (var i = 0; i < digits.Length; i++)
        {
            BinaryPrimitives.WriteInt16BigEndian(data.AsSpan(8 + (i * 2)), digits[i]);
        }

        Assert.Equal(expected, _converter.ConvertBinary(1700, data).Numeric);
    }

    [Fact]
    public void Numeric_digit_group_over_9999_is_refused()
        => Assert.Throws<PgOutputException>(() => Binary(1700, "00010000000000002710"));

    [Theory]
    [InlineData("7FFFFFFFFFFFFFFF", 9223372036854775807L, null)]
    [InlineData("8000000000000000", null, "9223372036854775808")]
    [InlineData("FFFFFFFFFFFFFFFF", null, "18446744073709551615")]
    public void Xid8_is_int_up_to_int64_max_and_its_decimal_text_above_never_a_negative(string hex, long? integer, string? asText)
    {
        var value = Binary(5069, hex);
        Assert.Equal((integer, asText), (value.KindCase == Value.KindOneofCase.Int ? value.Int : (long?)null, value.KindCase == Value.KindOneofCase.Text ? value.Text : null));
    }

    [Fact]
    public void Float4_is_widened_exactly_and_keeps_nan()
    {
        Assert.Equal((double)0.1f, Binary(700, "3dcccccd").Float);
        Assert.True(double.IsNaN(Binary(700, "7fc00000").Float));
        Assert.Equal(double.NegativeInfinity, Binary(701, "fff0000000000000").Float);
    }

    [Fact]
    public void Dates_and_timestamps_shift_from_the_2000_epoch_but_keep_infinities()
    {
        Assert.Equal(10957, Binary(1082, "00000000").Date);
        Assert.Equal(int.MaxValue, Binary(1082, "7fffffff").Date);
        Assert.Equal(int.MinValue, Binary(1082, "80000000").Date);
        Assert.Equal(946_684_800_000_000L, Binary(1114, "0000000000000000").TimestampUs);
        Assert.Equal(long.MaxValue, Binary(1184, "7fffffffffffffff").TimestamptzUs);
        Assert.Equal(long.MinValue, Binary(1184, "8000000000000000").TimestamptzUs);
    }

    [Fact]
    public void Timestamp_beyond_int64_unix_microseconds_is_refused_clearly()
    {
        var error = Assert.Throws<PgOutputException>(() => Binary(1114, "7ffffffffffffff0"));
        Assert.Contains("timestamp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Timetz_zone_west_positive_becomes_east_positive()
    {
        var timetz = Binary(1266, "0000000000000001" + "00000e10").Timetz;
        Assert.Equal(1, timetz.TimeUs);
        Assert.Equal(-3600, timetz.OffsetSeconds);
    }

    [Fact]
    public void Interval_send_order_is_micros_days_months()
    {
        var interval = Binary(1186, "ffffffffffffffff" + "00000002" + "fffffff4").Interval;
        Assert.Equal((-12, 2, -1L), (interval.Months, interval.Days, interval.Microseconds));
    }

    [Fact]
    public void Jsonb_version_byte_is_stripped_and_checked()
    {
        Assert.Equal("{}", Binary(3802, "017b7d").Json);
        Assert.Throws<PgOutputException>(() => Binary(3802, "027b7d"));
    }

    [Fact]
    public void Inet_and_cidr_keep_family_prefix_and_flag()
    {
        var inet = Binary(650, "02080104" + "0a000000").Inet;
        Assert.Equal((8, true), (inet.PrefixLength, inet.IsCidr));
        Assert.Equal(new byte[] { 10, 0, 0, 0 }, inet.Address.ToByteArray());
        Assert.Throws<PgOutputException>(() => Binary(869, "02210004" + "0a000000"));
    }

    [Fact]
    public void Bit_strings_use_the_bit_length_not_the_byte_length()
    {
        Assert.Equal("10101", Binary(1562, "00000005" + "a8").Bits);
        Assert.Equal(string.Empty, Binary(1562, "00000000").Bits);
        Assert.Throws<PgOutputException>(() => Binary(1562, "00000009" + "ff"));
    }

    [Fact]
    public void Tsvector_send_format_renders_like_tsvectorout()
        // 2 lexemes: "a" positions 1 (weight A) and 2; "b'c" no positions.
        => Assert.Equal("'a':1A,2 'b''c'", Binary(3614, "00000002" + "6100" + "0002" + "c001" + "0002" + "622763" + "00" + "0000").Tsvector);

    [Fact]
    public void Array_header_gives_element_type_dimensions_bounds_and_nulls()
    {
        // 2 dims (2x1), has nulls, int4; lbounds 0 and 5; elements 7, NULL.
        var array = Binary(1007, "00000002" + "00000001" + "00000017" + "00000002" + "00000000" + "00000001" + "00000005"
            + "00000004" + "00000007" + "ffffffff").Array;
        Assert.Equal([2, 1], array.Dimensions);
        Assert.Equal([0, 5], array.LowerBounds);
        Assert.Equal(7, array.Elements[0].Int);
        Assert.True(array.Elements[1].Null);
    }

    [Fact]
    public void Array_claiming_more_elements_than_bytes_is_refused_before_allocating()
        => Assert.Throws<PgOutputException>(() => Binary(1007, "00000001" + "00000000" + "00000017" + "7fffffff" + "00000001"));

    [Fact]
    public void Range_flags_give_emptiness_inclusivity_and_infinite_bounds()
    {
        Assert.True(Binary(3904, "01").Range.Empty);
        var range = Binary(3904, "12" + "00000004" + "00000001").Range; // [1, +inf)
        Assert.True(range.LowerInclusive);
        Assert.Equal(1, range.Lower.Int);
        Assert.Null(range.Upper);
    }

    [Fact]
    public void Composite_binary_carries_field_oids()
    {
        var composite = Binary(2249, "00000002" + "00000017" + "00000004" + "0000002a" + "00000019" + "ffffffff").Composite;
        Assert.Equal(23u, composite.Fields[0].TypeOid);
        Assert.Equal("int4", composite.Fields[0].TypeName);
        Assert.Equal(42, composite.Fields[0].Value.Int);
        Assert.True(composite.Fields[1].Value.Null);
    }

    [Fact]
    public void Char_with_high_bit_prints_as_octal_escape()
        => Assert.Equal("\\200", Binary(18, "80").Text);
}
