using System.Text;
using Cdc.Decoding.Values;
using Cdc.V1;

namespace Cdc.Decoding.ValueTests;

public sealed class TextValueTests
{
    private readonly ValueConverter _converter = new();

    private Value Text(uint oid, string text) => _converter.ConvertText(oid, Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData(21u, "-32768", -32768L)]
    [InlineData(23u, "2147483647", 2147483647L)]
    [InlineData(20u, "-9223372036854775808", long.MinValue)]
    [InlineData(26u, "4294967295", 4294967295L)]
    [InlineData(28u, "0", 0L)]
    public void Integers_and_oids_become_int(uint oid, string text, long expected)
    {
        var value = Text(oid, text);
        Assert.Equal(Value.KindOneofCase.Int, value.KindCase);
        Assert.Equal(expected, value.Int);
    }

    [Theory]
    [InlineData("9223372036854775807", 9223372036854775807L, null)]
    [InlineData("9223372036854775808", null, "9223372036854775808")]
    [InlineData("18446744073709551615", null, "18446744073709551615")]
    public void Xid8_is_int_up_to_int64_max_and_its_decimal_text_above_never_a_negative(string text, long? integer, string? asText)
    {
        var value = Text(5069, text);
        Assert.Equal((integer, asText), (value.KindCase == Value.KindOneofCase.Int ? value.Int : (long?)null, value.KindCase == Value.KindOneofCase.Text ? value.Text : null));
    }

    [Fact]
    public void Pg_lsn_and_pg_snapshot_arrays_are_arrays_of_their_element_type()
    {
        Assert.Equal(3220u, Text(3221, "{16/B374D848,NULL}").Array.ElementTypeOid);
        Assert.Equal(5038u, Text(5039, "{10:20:10}").Array.ElementTypeOid);
    }

    [Fact]
    public void Reg_types_printed_as_names_stay_text()
        => Assert.Equal("pg_class", Text(2205, "pg_class").Text);

    [Theory]
    [InlineData(701u, "NaN", double.NaN)]
    [InlineData(701u, "Infinity", double.PositiveInfinity)]
    [InlineData(701u, "-Infinity", double.NegativeInfinity)]
    [InlineData(701u, "5e-324", 5e-324)]
    [InlineData(700u, "0.1", (double)0.1f)]
    [InlineData(700u, "3.4028235e+38", (double)float.MaxValue)]
    public void Floats_keep_nan_infinities_and_float4_rounding(uint oid, string text, double expected)
        => Assert.Equal(expected, Text(oid, text).Float);

    [Theory]
    [InlineData("123456789012345678901234567890.123456789012345678901234567890")]
    [InlineData("-0.000000000000000000000000001")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("12.3400")]
    public void Numeric_text_is_kept_exactly(string text)
        => Assert.Equal(text, Text(1700, text).Numeric);

    [Theory]
    [InlineData("1e5")]
    [InlineData("12a")]
    [InlineData("")]
    public void Numeric_text_that_is_not_a_decimal_is_refused(string text)
        => Assert.Throws<PgOutputException>(() => Text(1700, text));

    [Theory]
    [InlineData("$1,234.56", 123456L)]
    [InlineData("-$92,233,720,368,547,758.08", long.MinValue)]
    [InlineData("$92,233,720,368,547,758.07", long.MaxValue)]
    [InlineData("($1.00)", -100L)]
    [InlineData("1.234,56 €", 123456L)]
    public void Money_in_any_locale_format_becomes_minor_units(string text, long cents)
        => Assert.Equal(cents, Text(790, text).Money);

    [Fact]
    public void Bytea_hex_and_escape_forms_become_bytes()
    {
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0x00 }, Text(17, "\\xdead00").Bytes.ToByteArray());
        Assert.Equal(new byte[] { (byte)'a', 0x5C, 0x01 }, Text(17, "a\\\\\\001").Bytes.ToByteArray());
        Assert.Empty(Text(17, "\\x").Bytes.ToByteArray());
    }

    [Fact]
    public void Uuid_becomes_16_bytes_in_network_order()
        => Assert.Equal(Convert.FromHexString("a0eebc999c0b4ef8bb6d6bb9bd380a11"), Text(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11").Uuid.ToByteArray());

    [Theory]
    [InlineData("1970-01-01", 0)]
    [InlineData("2000-01-01", 10957)]
    [InlineData("0001-01-01 BC", -719528)]
    [InlineData("infinity", int.MaxValue)]
    [InlineData("-infinity", int.MinValue)]
    public void Dates_become_days_since_1970(string text, int days)
        => Assert.Equal(days, Text(1082, text).Date);

    [Theory]
    [InlineData(1114u, "1970-01-01 00:00:00.000001", 1L)]
    [InlineData(1114u, "1969-12-31 23:59:59.5", -500_000L)]
    [InlineData(1184u, "2000-01-01 05:30:00+05:30", 946_684_800_000_000L)]
    [InlineData(1184u, "1970-01-01 00:00:00-00:00:15", 15_000_000L)]
    [InlineData(1184u, "infinity", long.MaxValue)]
    [InlineData(1114u, "-infinity", long.MinValue)]
    public void Timestamps_become_unix_microseconds(uint oid, string text, long micros)
    {
        var value = Text(oid, text);
        Assert.Equal(micros, oid == 1184 ? value.TimestamptzUs : value.TimestampUs);
    }

    [Fact]
    public void Timetz_offset_is_east_positive()
    {
        var value = Text(1266, "12:00:00.25-03:30").Timetz;
        Assert.Equal((12 * 3600 * 1_000_000L) + 250_000, value.TimeUs);
        Assert.Equal(-(3 * 3600 + 1800), value.OffsetSeconds);
    }

    [Theory]
    [InlineData("1 year 2 mons -3 days +04:05:06.5", 14, -3, 14_706_500_000L)]
    [InlineData("-1 days -00:00:01", 0, -1, -1_000_000L)]
    [InlineData("00:00:00", 0, 0, 0L)]
    [InlineData("-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808", int.MinValue, int.MinValue, long.MinValue)]
    [InlineData("infinity", int.MaxValue, int.MaxValue, long.MaxValue)]
    [InlineData("-infinity", int.MinValue, int.MinValue, long.MinValue)]
    public void Intervals_keep_months_days_and_microseconds_apart(string text, int months, int days, long micros)
    {
        var value = Text(1186, text).Interval;
        Assert.Equal((months, days, micros), (value.Months, value.Days, value.Microseconds));
    }

    [Fact]
    public void Interval_in_another_style_is_refused_with_the_setting_named()
    {
        var error = Assert.Throws<PgOutputException>(() => Text(1186, "P1Y2M"));
        Assert.Contains("IntervalStyle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inet_without_prefix_gets_the_full_length()
    {
        var inet = Text(869, "2001:db8::1").Inet;
        Assert.Equal(128, inet.PrefixLength);
        Assert.False(inet.IsCidr);
        Assert.Equal(16, inet.Address.Length);
        Assert.True(Text(650, "10.0.0.0/8").Inet.IsCidr);
    }

    [Fact]
    public void Arrays_keep_dimensions_bounds_and_null_elements()
    {
        var array = Text(1007, "[0:1][-1:0]={{1,NULL},{3,4}}").Array;
        Assert.Equal(23u, array.ElementTypeOid);
        Assert.Equal([2, 2], array.Dimensions);
        Assert.Equal([0, -1], array.LowerBounds);
        Assert.True(array.Elements[1].Null);
        Assert.Equal(4, array.Elements[3].Int);
    }

    [Fact]
    public void Quoted_array_elements_are_unescaped_and_quoted_null_is_a_string()
    {
        var array = Text(1009, "{\"a \\\"b\\\\\",\"NULL\",NULL,\"\"}").Array;
        Assert.Equal("a \"b\\", array.Elements[0].Text);
        Assert.Equal("NULL", array.Elements[1].Text);
        Assert.True(array.Elements[2].Null);
        Assert.Equal(string.Empty, array.Elements[3].Text);
    }

    [Fact]
    public void Empty_array_has_no_dimensions()
    {
        var array = Text(1007, "{}").Array;
        Assert.Empty(array.Dimensions);
        Assert.Empty(array.Elements);
    }

    [Fact]
    public void Ragged_array_text_is_refused()
        => Assert.Throws<PgOutputException>(() => Text(1007, "{{1,2},{3}}"));

    [Fact]
    public void Ranges_keep_bounds_inclusivity_and_unbounded_sides()
    {
        var range = Text(3912, "[2024-01-01,)").Range;
        Assert.True(range.LowerInclusive);
        Assert.False(range.UpperInclusive);
        Assert.Equal(19723, range.Lower.Date);
        Assert.Null(range.Upper);
        Assert.True(Text(3904, "empty").Range.Empty);
    }

    [Fact]
    public void Multirange_lists_its_ranges()
    {
        var multirange = Text(4451, "{[1,3),[5,7)}").Multirange;
        Assert.Equal(2, multirange.Ranges.Count);
        Assert.Equal(5, multirange.Ranges[1].Lower.Int);
        Assert.Empty(Text(4451, "{}").Multirange.Ranges);
    }

    [Fact]
    public void Geometry_keeps_every_coordinate()
    {
        var path = Text(602, "[(0,0),(1.5,-2)]").Geometry;
        Assert.Equal(Geometry.Types.Kind.Path, path.Kind);
        Assert.False(path.Closed);
        Assert.Equal([0, 0, 1.5, -2], path.Values);
        Assert.Equal([1, 2, 0.5], Text(718, "<(1,2),0.5>").Geometry.Values);
    }

    [Fact]
    public void Unknown_type_is_kept_as_text()
        => Assert.Equal("whatever", Text(99999, "whatever").Text);

    [Fact]
    public void Domain_enum_and_composite_resolve_through_the_resolver()
    {
        var resolver = new FakeResolver(
            new PgTypeInfo(50000, "public", "posint", PgTypeKind.Domain) { BaseOid = 23 },
            new PgTypeInfo(50001, "public", "mood", PgTypeKind.Enum),
            new PgTypeInfo(50002, "public", "pair", PgTypeKind.Composite)
            {
                Fields = [new PgCompositeField("a", 23, -1), new PgCompositeField("b", 25, -1), new PgCompositeField("c", 50001, -1)],
            });
        var converter = new ValueConverter(resolver);
        Assert.Equal(42, converter.ConvertText(50000, "42"u8).Int);
        Assert.Equal("happy", converter.ConvertText(50001, "happy"u8).Text);
        var composite = converter.ConvertText(50002, "(1,\"x \"\"y\"\"\",)"u8).Composite;
        Assert.Equal(["a", "b", "c"], composite.Fields.Select(f => f.Name));
        Assert.Equal(1, composite.Fields[0].Value.Int);
        Assert.Equal("x \"y\"", composite.Fields[1].Value.Text);
        Assert.True(composite.Fields[2].Value.Null);
        Assert.Equal("mood", composite.Fields[2].TypeName);
    }

    [Fact]
    public void Altered_composite_is_seen_after_clearing_the_type_cache()
    {
        var resolver = new FakeResolver(new PgTypeInfo(50002, "public", "pair", PgTypeKind.Composite) { Fields = [new PgCompositeField("a", 23, -1)] });
        var converter = new ValueConverter(resolver);
        Assert.Single(converter.ConvertText(50002, "(1)"u8).Composite.Fields);

        resolver.Types[0] = resolver.Types[0] with { Fields = [new PgCompositeField("a", 23, -1), new PgCompositeField("b", 25, -1)] };
        converter.ClearTypeCache();
        Assert.Equal("x", converter.ConvertText(50002, "(1,x)"u8).Composite.Fields[1].Value.Text);
    }

    internal sealed class FakeResolver(params PgTypeInfo[] types) : ITypeResolver
    {
        public PgTypeInfo[] Types { get; } = types;

        public PgTypeInfo? Resolve(uint typeOid) => Types.FirstOrDefault(t => t.Oid == typeOid);
    }
}
