using System.Globalization;
using System.Net;
using System.Text;
using Cdc.Decoding.Values;
using Cdc.V1;

namespace Cdc.Decoding.ValueTests;

/// <summary>
/// Test-side renderer of a <see cref="Value"/> back to what <c>SELECT col::text</c> prints in a session with
/// TimeZone UTC and the default DateStyle/IntervalStyle/extra_float_digits, written independently of the
/// converter so that a round trip through both proves the conversion.
/// </summary>
internal sealed class PgTextFormatter(ValueConverter converter, bool infiniteIntervals = false)
{
    /// <summary>The text of a top-level column value; null for SQL NULL.</summary>
    public string? Format(Value value, uint typeOid) => value.KindCase == Value.KindOneofCase.Null ? null : Render(value, typeOid, nested: false);

    private string Render(Value value, uint typeOid, bool nested)
    {
        var kind = converter.KindOf(typeOid);
        switch (value.KindCase)
        {
            case Value.KindOneofCase.Bool:
                // boolout prints t/f inside containers; the cast to text prints true/false.
                return nested ? (value.Bool ? "t" : "f") : (value.Bool ? "true" : "false");
            case Value.KindOneofCase.Int:
                return value.Int.ToString(CultureInfo.InvariantCulture);
            case Value.KindOneofCase.Float:
                return kind == PgValueKind.Float4 ? FormatFloat((float)value.Float) : FormatDouble(value.Float);
            case Value.KindOneofCase.Numeric:
                return value.Numeric;
            case Value.KindOneofCase.Text:
                return value.Text;
            case Value.KindOneofCase.Json:
                return value.Json;
            case Value.KindOneofCase.Tsvector:
                return value.Tsvector;
            case Value.KindOneofCase.Bits:
                return value.Bits;
            case Value.KindOneofCase.Bytes:
                return "\\x" + Convert.ToHexStringLower(value.Bytes.Span);
            case Value.KindOneofCase.Uuid:
                return new Guid(value.Uuid.Span, bigEndian: true).ToString("D");
            case Value.KindOneofCase.Date:
                return FormatDate(value.Date);
            case Value.KindOneofCase.TimeUs:
                return FormatTime(value.TimeUs);
            case Value.KindOneofCase.Timetz:
                return FormatTime(value.Timetz.TimeUs) + FormatOffset(value.Timetz.OffsetSeconds);
            case Value.KindOneofCase.TimestampUs:
                return FormatTimestamp(value.TimestampUs, withZone: false);
            case Value.KindOneofCase.TimestamptzUs:
                return FormatTimestamp(value.TimestamptzUs, withZone: true);
            case Value.KindOneofCase.Interval:
                return FormatInterval(value.Interval, infiniteIntervals);
            case Value.KindOneofCase.Money:
                return FormatMoney(value.Money);
            case Value.KindOneofCase.Inet:
                return FormatInet(value.Inet);
            case Value.KindOneofCase.Macaddr:
                return string.Join(':', value.Macaddr.ToByteArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            case Value.KindOneofCase.Geometry:
                return FormatGeometry(value.Geometry);
            case Value.KindOneofCase.Array:
                return FormatArray(value.Array);
            case Value.KindOneofCase.Range:
                return FormatRange(value.Range, typeOid);
            case Value.KindOneofCase.Multirange:
                return "{" + string.Join(',', value.Multirange.Ranges.Select(r => FormatRange(r, typeOid))) + "}";
            case Value.KindOneofCase.Composite:
                return FormatComposite(value.Composite);
            default:
                throw new InvalidOperationException($"cannot render {value.KindCase}");
        }
    }

    private string FormatArray(V1.Array array)
    {
        var builder = new StringBuilder();
        if (array.LowerBounds.Any(b => b != 1))
        {
            for (var d = 0; d < array.Dimensions.Count; d++)
            {
                builder.Append(CultureInfo.InvariantCulture, $"[{array.LowerBounds[d]}:{array.LowerBounds[d] + array.Dimensions[d] - 1}]");
            }

            builder.Append('=');
        }

        if (array.Dimensions.Count == 0)
        {
            return builder.Append("{}").ToString();
        }

        var delimiter = converter.KindOf(array.ElementTypeOid) == PgValueKind.Box ? ';' : ',';
        var index = 0;
        AppendDimension(builder, array, 0, ref index, delimiter);
        return builder.ToString();
    }

    private void AppendDimension(StringBuilder builder, V1.Array array, int dimension, ref int index, char delimiter)
    {
        builder.Append('{');
        for (var i = 0; i < array.Dimensions[dimension]; i++)
        {
            if (i > 0)
            {
                builder.Append(delimiter);
            }

            if (dimension + 1 < array.Dimensions.Count)
            {
                AppendDimension(builder, array, dimension + 1, ref index, delimiter);
                continue;
            }

            var element = array.Elements[index++];
            if (element.KindCase == Value.KindOneofCase.Null)
            {
                builder.Append("NULL");
                continue;
            }

            var text = Render(element, array.ElementTypeOid, nested: true);
            var quote = text.Length == 0 || text.Equals("NULL", StringComparison.OrdinalIgnoreCase)
                || text.Any(c => c is '{' or '}' or '"' or '\\' || c == delimiter || IsSpace(c));
            builder.Append(quote ? Quote(text, backslashEscape: true) : text);
        }

        builder.Append('}');
    }

    private string FormatRange(V1.Range range, uint typeOid)
    {
        if (range.Empty)
        {
            return "empty";
        }

        var shapeSubtype = SubtypeOf(typeOid);
        return (range.LowerInclusive ? "[" : "(") + Bound(range.Lower, shapeSubtype) + "," + Bound(range.Upper, shapeSubtype) + (range.UpperInclusive ? "]" : ")");
    }

    private string Bound(Value? bound, uint subtype)
    {
        if (bound is null)
        {
            return string.Empty;
        }

        var text = Render(bound, subtype, nested: true);
        var quote = text.Length == 0 || text.Any(c => c is '"' or '\\' or '(' or ')' or '[' or ']' or ',' || IsSpace(c));
        return quote ? Quote(text, backslashEscape: false) : text;
    }

    private uint SubtypeOf(uint rangeOrMultirangeOid) => converter.RelatedTypeOf(rangeOrMultirangeOid);

    private string FormatComposite(Composite composite)
    {
        var builder = new StringBuilder("(");
        for (var i = 0; i < composite.Fields.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            var field = composite.Fields[i];
            if (field.Value.KindCase == Value.KindOneofCase.Null)
            {
                continue;
            }

            var text = Render(field.Value, field.TypeOid, nested: true);
            var quote = text.Length == 0 || text.Any(c => c is '"' or '\\' or '(' or ')' or ',' || IsSpace(c));
            builder.Append(quote ? Quote(text, backslashEscape: false) : text);
        }

        return builder.Append(')').ToString();
    }

    /// <summary>array_out escapes with backslashes; record_out and range_out double the character.</summary>
    private static string Quote(string text, bool backslashEscape)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\')
            {
                builder.Append(backslashEscape ? '\\' : c);
            }

            builder.Append(c);
        }

        return builder.Append('"').ToString();
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f';

    public static string FormatDouble(double value) => FormatShortest(value, value.ToString("R", CultureInfo.InvariantCulture), 15);

    public static string FormatFloat(float value) => FormatShortest(value, value.ToString("R", CultureInfo.InvariantCulture), 6);

    /// <summary>PostgreSQL's shortest-exact float output: fixed notation for exponents -4..(limit-1), else d.ddde+XX.</summary>
    private static string FormatShortest(double value, string roundTrip, int limit)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }

        // Shortest digits and decimal exponent from .NET's round-trip form.
        var negative = roundTrip.StartsWith('-');
        var body = negative ? roundTrip[1..] : roundTrip;
        var exponent = 0;
        var e = body.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(body[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            body = body[..e];
        }

        var point = body.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = point < 0 ? body.Length : point;
        var digits = body.Replace(".", string.Empty, StringComparison.Ordinal);
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        var decimalExponent = integerDigits - leadingZeros - 1 + exponent;
        string text;
        if (decimalExponent >= -4 && decimalExponent < limit)
        {
            if (decimalExponent < 0)
            {
                text = "0." + new string('0', -decimalExponent - 1) + digits;
            }
            else if (digits.Length <= decimalExponent + 1)
            {
                text = digits + new string('0', decimalExponent + 1 - digits.Length);
            }
            else
            {
                text = digits[..(decimalExponent + 1)] + "." + digits[(decimalExponent + 1)..];
            }
        }
        else
        {
            text = digits[..1] + (digits.Length > 1 ? "." + digits[1..] : string.Empty)
                + "e" + (decimalExponent < 0 ? "-" : "+") + Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture);
        }

        return negative ? "-" + text : text;
    }

    private static string FormatDate(int days)
    {
        if (days == int.MaxValue)
        {
            return "infinity";
        }

        if (days == int.MinValue)
        {
            return "-infinity";
        }

        return FormatCivil(days);
    }

    private static string FormatCivil(long days, string time = "", string zone = "")
    {
        var (year, month, day) = CivilFromDays(days);
        var bc = year <= 0;
        var shownYear = bc ? 1 - year : year;
        return string.Create(CultureInfo.InvariantCulture, $"{shownYear:0000}-{month:00}-{day:00}{time}{zone}{(bc ? " BC" : string.Empty)}");
    }

    private static (long Year, int Month, int Day) CivilFromDays(long days)
    {
        days += 719_468;
        var era = (days >= 0 ? days : days - 146_096) / 146_097;
        var dayOfEra = days - (era * 146_097);
        var yearOfEra = (dayOfEra - (dayOfEra / 1460) + (dayOfEra / 36_524) - (dayOfEra / 146_096)) / 365;
        var year = yearOfEra + (era * 400);
        var dayOfYear = dayOfEra - ((365 * yearOfEra) + (yearOfEra / 4) - (yearOfEra / 100));
        var mp = ((5 * dayOfYear) + 2) / 153;
        var day = (int)(dayOfYear - (((153 * mp) + 2) / 5) + 1);
        var month = (int)(mp < 10 ? mp + 3 : mp - 9);
        return (month <= 2 ? year + 1 : year, month, day);
    }

    private static string FormatTime(long micros)
    {
        var seconds = micros / 1_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}") + Fraction(micros % 1_000_000);
    }

    private static string Fraction(long micros)
        => micros == 0 ? string.Empty : "." + Math.Abs(micros).ToString("000000", CultureInfo.InvariantCulture).TrimEnd('0');

    private static string FormatOffset(int eastSeconds)
    {
        var sign = eastSeconds < 0 ? '-' : '+';
        var total = Math.Abs(eastSeconds);
        var text = string.Create(CultureInfo.InvariantCulture, $"{sign}{total / 3600:00}");
        if (total % 3600 != 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $":{total / 60 % 60:00}");
            if (total % 60 != 0)
            {
                text += string.Create(CultureInfo.InvariantCulture, $":{total % 60:00}");
            }
        }

        return text;
    }

    private static string FormatTimestamp(long micros, bool withZone)
    {
        if (micros == long.MaxValue)
        {
            return "infinity";
        }

        if (micros == long.MinValue)
        {
            return "-infinity";
        }

        var days = Math.DivRem(micros, 86_400_000_000L, out var timeOfDay);
        if (timeOfDay < 0)
        {
            days--;
            timeOfDay += 86_400_000_000L;
        }

        return FormatCivil(days, " " + FormatTime(timeOfDay), withZone ? "+00" : string.Empty);
    }

    /// <summary>EncodeInterval in IntervalStyle postgres; with <paramref name="infiniteIntervals"/> (PostgreSQL 17+) the extremes are +/-infinity.</summary>
    private static string FormatInterval(Interval interval, bool infiniteIntervals)
    {
        if (infiniteIntervals && interval is { Months: int.MaxValue, Days: int.MaxValue, Microseconds: long.MaxValue })
        {
            return "infinity";
        }

        if (infiniteIntervals && interval is { Months: int.MinValue, Days: int.MinValue, Microseconds: long.MinValue })
        {
            return "-infinity";
        }

        var builder = new StringBuilder();
        var isZero = true;
        var isBefore = false;
        void Part(long value, string unit)
        {
            if (value == 0)
            {
                return;
            }

            builder.Append(CultureInfo.InvariantCulture, $"{(isZero ? string.Empty : " ")}{(isBefore && value > 0 ? "+" : string.Empty)}{value} {unit}{(value != 1 ? "s" : string.Empty)}");
            isBefore = value < 0;
            isZero = false;
        }

        Part(interval.Months / 12, "year");
        Part(interval.Months % 12, "mon");
        Part(interval.Days, "day");
        var micros = interval.Microseconds;
        if (isZero || micros != 0)
        {
            var minus = micros < 0;
            var magnitude = (UInt128)(minus ? -(Int128)micros : micros);
            var hours = magnitude / 3_600_000_000UL;
            var minutes = magnitude / 60_000_000UL % 60;
            var seconds = magnitude / 1_000_000UL % 60;
            var fraction = (long)(magnitude % 1_000_000UL);
            builder.Append(isZero ? string.Empty : " ").Append(minus ? "-" : isBefore ? "+" : string.Empty)
                .Append(CultureInfo.InvariantCulture, $"{hours:00}:{minutes:00}:{seconds:00}").Append(Fraction(fraction));
        }

        return builder.ToString();
    }

    /// <summary>cash_out in the C locale: -$1,234.56.</summary>
    private static string FormatMoney(long cents)
    {
        var negative = cents < 0;
        var magnitude = negative ? (ulong)(-(Int128)cents) : (ulong)cents;
        var whole = (magnitude / 100).ToString("#,0", CultureInfo.InvariantCulture);
        return (negative ? "-$" : "$") + whole + "." + (magnitude % 100).ToString("00", CultureInfo.InvariantCulture);
    }

    private static string FormatInet(Inet inet)
    {
        var address = new IPAddress(inet.Address.Span);
        var text = address.ToString();
        var maxBits = inet.Address.Length * 8;
        return inet.IsCidr || inet.PrefixLength != maxBits ? text + "/" + inet.PrefixLength.ToString(CultureInfo.InvariantCulture) : text;
    }

    private static string FormatGeometry(Geometry geometry)
    {
        var v = geometry.Values.Select(FormatDouble).ToArray();
        string Points(int from) => string.Join(',', Enumerable.Range(0, (v.Length - from) / 2).Select(i => $"({v[from + (2 * i)]},{v[from + (2 * i) + 1]})"));
        return geometry.Kind switch
        {
            Geometry.Types.Kind.Point => $"({v[0]},{v[1]})",
            Geometry.Types.Kind.Line => $"{{{v[0]},{v[1]},{v[2]}}}",
            Geometry.Types.Kind.Lseg => $"[{Points(0)}]",
            Geometry.Types.Kind.Box => Points(0),
            Geometry.Types.Kind.Path => geometry.Closed ? $"({Points(0)})" : $"[{Points(0)}]",
            Geometry.Types.Kind.Polygon => $"({Points(0)})",
            Geometry.Types.Kind.Circle => $"<({v[0]},{v[1]}),{v[2]}>",
            _ => throw new InvalidOperationException("unknown geometry"),
        };
    }
}
