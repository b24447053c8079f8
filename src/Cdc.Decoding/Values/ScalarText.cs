using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Decoding.Values;

/// <summary>Converts the text output of a scalar (non-container) type to a <see cref="Value"/>.</summary>
internal static class ScalarText
{
    public static Value Convert(PgValueKind kind, ReadOnlySpan<byte> text, string typeName)
    {
        switch (kind)
        {
            case PgValueKind.Bool:
                return new Value { Bool = ParseBool(text, typeName) };
            case PgValueKind.Int2:
            case PgValueKind.Int4:
            case PgValueKind.Int8:
                return new Value { Int = ParseInt64(text, typeName) };
            case PgValueKind.Oid:
                // reg* types print a name (regclass 'pg_class'); only a number is an OID.
                return Utf8Parser.TryParse(text, out uint oid, out var used) && used == text.Length
                    ? new Value { Int = oid }
                    : new Value { Text = Utf8(text) };
            case PgValueKind.Xid8:
                return Utf8Parser.TryParse(text, out ulong xid, out var xidUsed) && xidUsed == text.Length
                    ? Xid8(xid)
                    : throw ValueErrors.Malformed(typeName, "not a number", text);
            case PgValueKind.Float4:
                return new Value { Float = ParseSingle(text, typeName) };
            case PgValueKind.Float8:
                return new Value { Float = ParseDouble(text, typeName) };
            case PgValueKind.Numeric:
                return new Value { Numeric = ParseNumeric(text, typeName) };
            case PgValueKind.Money:
                return new Value { Money = ParseMoney(text, typeName) };
            case PgValueKind.Bytea:
                return new Value { Bytes = ParseBytea(text, typeName) };
            case PgValueKind.Uuid:
                return new Value { Uuid = ParseUuid(text, typeName) };
            case PgValueKind.Date:
                return new Value { Date = DateTimeText.ParseDate(text) };
            case PgValueKind.Time:
                return new Value { TimeUs = DateTimeText.ParseTime(text) };
            case PgValueKind.TimeTz:
                var (time, offset) = DateTimeText.ParseTimeTz(text);
                return new Value { Timetz = new TimeTz { TimeUs = time, OffsetSeconds = offset } };
            case PgValueKind.Timestamp:
                return new Value { TimestampUs = DateTimeText.ParseTimestamp(text, withTimeZone: false) };
            case PgValueKind.TimestampTz:
                return new Value { TimestamptzUs = DateTimeText.ParseTimestamp(text, withTimeZone: true) };
            case PgValueKind.Interval:
                var (months, days, micros) = IntervalText.Parse(text);
                return new Value { Interval = new Interval { Months = months, Days = days, Microseconds = micros } };
            case PgValueKind.Json:
            case PgValueKind.Jsonb:
                return new Value { Json = Utf8(text) };
            case PgValueKind.Inet:
            case PgValueKind.Cidr:
                return new Value { Inet = NetworkValues.InetFromText(text, kind == PgValueKind.Cidr, typeName) };
            case PgValueKind.MacAddr:
                return new Value { Macaddr = NetworkValues.MacFromText(text, 6, typeName) };
            case PgValueKind.MacAddr8:
                return new Value { Macaddr = NetworkValues.MacFromText(text, 8, typeName) };
            case PgValueKind.Bit:
                return new Value { Bits = ParseBits(text, typeName) };
            case PgValueKind.TsVector:
            case PgValueKind.TsQuery:
                return new Value { Tsvector = Utf8(text) };
            case PgValueKind.Point:
            case PgValueKind.Line:
            case PgValueKind.Lseg:
            case PgValueKind.Box:
            case PgValueKind.Path:
            case PgValueKind.Polygon:
            case PgValueKind.Circle:
                return new Value { Geometry = GeometryValues.FromText(kind, text, typeName) };
            default:
                return new Value { Text = Utf8(text) };
        }
    }

    /// <summary>xid8 is unsigned 64-bit: <c>int</c> (sint64) up to INT64_MAX, its decimal text above (never a wrapped negative).</summary>
    public static Value Xid8(ulong xid)
        => xid <= long.MaxValue ? new Value { Int = (long)xid } : new Value { Text = xid.ToString(CultureInfo.InvariantCulture) };

    public static string Utf8(ReadOnlySpan<byte> text) => text.IsEmpty ? string.Empty : Encoding.UTF8.GetString(text);

    public static bool ParseBool(ReadOnlySpan<byte> text, string typeName)
        => text.Length == 1 && text[0] == (byte)'t' ? true
            : text.Length == 1 && text[0] == (byte)'f' ? false
            : throw ValueErrors.Malformed(typeName, "not t or f", text);

    public static long ParseInt64(ReadOnlySpan<byte> text, string typeName)
        => Utf8Parser.TryParse(text, out long value, out var used) && used == text.Length
            ? value
            : throw ValueErrors.Malformed(typeName, "not an integer", text);

    public static double ParseDouble(ReadOnlySpan<byte> text, string typeName)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ValueErrors.Malformed(typeName, "not a number", text);

    /// <summary>float4 parsed as float (so rounding is float4's), then widened exactly.</summary>
    public static double ParseSingle(ReadOnlySpan<byte> text, string typeName)
        => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw ValueErrors.Malformed(typeName, "not a number", text);

    /// <summary>Validates numeric_out's form (see <see cref="IsNumericText"/>) and keeps it verbatim.</summary>
    public static string ParseNumeric(ReadOnlySpan<byte> text, string typeName)
        => IsNumericText(text)
            ? Encoding.ASCII.GetString(text)
            : throw ValueErrors.Malformed(typeName, "not a decimal number", text);

    /// <summary>numeric_out's form: optional '-', digits with at most one '.', or NaN / Infinity / -Infinity.</summary>
    public static bool IsNumericText(ReadOnlySpan<byte> text)
    {
        if (text.SequenceEqual("NaN"u8) || text.SequenceEqual("Infinity"u8) || text.SequenceEqual("-Infinity"u8))
        {
            return true;
        }

        var start = text.Length > 0 && text[0] == (byte)'-' ? 1 : 0;
        var points = 0;
        var digits = 0;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == (byte)'.')
            {
                points++;
            }
            else if ((uint)(text[i] - '0') <= 9)
            {
                digits++;
            }
            else
            {
                return false;
            }
        }

        return digits > 0 && points <= 1;
    }

    /// <summary>
    /// money's output is locale formatted (<c>-$1,234.56</c>, <c>1.234,56 €</c>, <c>($1.00)</c>) but always prints
    /// every stored digit, so the digits in order are the amount in minor units whatever the separators.
    /// </summary>
    public static long ParseMoney(ReadOnlySpan<byte> text, string typeName)
    {
        long amount = 0;
        var negative = false;
        var digits = 0;
        foreach (var c in text)
        {
            if ((uint)(c - '0') <= 9)
            {
                if (++digits > 19)
                {
                    throw ValueErrors.Malformed(typeName, "too long", text);
                }

                // Accumulated negatively so that the minimum value fits; 19 digits cannot overflow before the check.
                if (amount < (long.MinValue + (c - '0')) / 10)
                {
                    throw ValueErrors.Malformed(typeName, "out of range", text);
                }

                amount = (amount * 10) - (c - '0');
            }
            else if (c is (byte)'-' or (byte)'(')
            {
                negative = true;
            }
        }

        if (digits == 0)
        {
            throw ValueErrors.Malformed(typeName, "no digits", text);
        }

        return negative ? amount
            : amount != long.MinValue ? -amount
            : throw ValueErrors.Malformed(typeName, "out of range", text);
    }

    /// <summary>bytea in hex (<c>\x0a1b</c>, the default bytea_output) or escape format.</summary>
    public static ByteString ParseBytea(ReadOnlySpan<byte> text, string typeName)
    {
        if (text.Length >= 2 && text[0] == (byte)'\\' && text[1] == (byte)'x')
        {
            var hex = text[2..];
            if (hex.Length % 2 != 0)
            {
                throw ValueErrors.Malformed(typeName, "odd number of hex digits");
            }

            var bytes = new byte[hex.Length / 2];
            var bad = DecodeHex(hex, bytes);
            return bad < 0
                ? UnsafeByteOperations.UnsafeWrap(bytes)
                : throw ValueErrors.Malformed(typeName, $"bad hex digit at offset {bad + 2}");
        }

        return ParseByteaEscape(text, typeName);
    }

    /// <summary>
    /// Decodes hex digit pairs into <paramref name="destination"/> (<c>hex.Length / 2</c> bytes). Returns -1, or the
    /// offset in <paramref name="hex"/> of the first pair with a non-hex digit.
    /// </summary>
    public static int DecodeHex(ReadOnlySpan<byte> hex, Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            var high = NetworkValues.HexValue(hex[i * 2]);
            var low = NetworkValues.HexValue(hex[(i * 2) + 1]);
            if ((high | low) < 0)
            {
                return i * 2;
            }

            destination[i] = (byte)((high << 4) | low);
        }

        return -1;
    }

    private static ByteString ParseByteaEscape(ReadOnlySpan<byte> text, string typeName)
    {
        var output = new byte[text.Length];
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != (byte)'\\')
            {
                output[length++] = text[i];
            }
            else if (i + 1 < text.Length && text[i + 1] == (byte)'\\')
            {
                output[length++] = (byte)'\\';
                i++;
            }
            else if (i + 3 < text.Length && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) && IsOctal(text[i + 3]))
            {
                output[length++] = (byte)(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) | (text[i + 3] - '0'));
                i += 3;
            }
            else
            {
                throw ValueErrors.Malformed(typeName, $"bad escape at offset {i}");
            }
        }

        return ByteString.CopyFrom(output, 0, length);
    }

    private static bool IsOctal(byte c) => c is >= (byte)'0' and <= (byte)'7';

    public static ByteString ParseUuid(ReadOnlySpan<byte> text, string typeName)
    {
        Span<byte> bytes = stackalloc byte[16];
        return TryParseUuid(text, bytes)
            ? ByteString.CopyFrom(bytes)
            : throw ValueErrors.Malformed(typeName, "not a UUID", text);
    }

    /// <summary>32 hex digits, hyphens anywhere between them ignored, into the 16 bytes of <paramref name="destination"/>.</summary>
    public static bool TryParseUuid(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        var count = 0;
        var high = -1;
        foreach (var c in text)
        {
            if (c == (byte)'-')
            {
                continue;
            }

            var value = NetworkValues.HexValue(c);
            if (value < 0 || count == 16)
            {
                return false;
            }

            if (high < 0)
            {
                high = value;
            }
            else
            {
                destination[count++] = (byte)((high << 4) | value);
                high = -1;
            }
        }

        return count == 16 && high < 0;
    }

    public static string ParseBits(ReadOnlySpan<byte> text, string typeName)
        => IsBitText(text)
            ? Encoding.ASCII.GetString(text)
            : throw ValueErrors.Malformed(typeName, "not a bit string", text);

    public static bool IsBitText(ReadOnlySpan<byte> text) => text.IndexOfAnyExcept((byte)'0', (byte)'1') < 0;
}
