using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Decoding.Values;

/// <summary>Converts the binary send format of a scalar (non-container) type to a <see cref="Value"/>.</summary>
internal static class ScalarBinary
{
    public static Value Convert(PgValueKind kind, ReadOnlySpan<byte> data, string typeName)
    {
        var cursor = new BinaryCursor(data, typeName);
        Value value;
        switch (kind)
        {
            case PgValueKind.Bool:
                var b = cursor.ReadByte();
                value = b <= 1 ? new Value { Bool = b == 1 } : throw cursor.Fail($"byte {b} is not 0 or 1");
                break;
            case PgValueKind.Int2:
                value = new Value { Int = cursor.ReadInt16() };
                break;
            case PgValueKind.Int4:
                value = new Value { Int = cursor.ReadInt32() };
                break;
            case PgValueKind.Int8:
                value = new Value { Int = cursor.ReadInt64() };
                break;
            case PgValueKind.Oid:
                value = new Value { Int = cursor.ReadUInt32() };
                break;
            case PgValueKind.Xid8:
                value = ScalarText.Xid8(unchecked((ulong)cursor.ReadInt64()));
                break;
            case PgValueKind.Float4:
                value = new Value { Float = BinaryPrimitives.ReadSingleBigEndian(cursor.Take(4)) };
                break;
            case PgValueKind.Float8:
                value = new Value { Float = cursor.ReadDouble() };
                break;
            case PgValueKind.Numeric:
                return new Value { Numeric = NumericBinary.ToText(data) };
            case PgValueKind.Money:
                value = new Value { Money = cursor.ReadInt64() };
                break;
            case PgValueKind.Char:
                value = new Value { Text = CharText(cursor.ReadByte()) };
                break;
            case PgValueKind.Bytea:
                return new Value { Bytes = ByteString.CopyFrom(data) };
            case PgValueKind.Uuid:
                value = new Value { Uuid = ByteString.CopyFrom(cursor.Take(16)) };
                break;
            case PgValueKind.Date:
                value = new Value { Date = PgCalendar.DateFromPg(cursor.ReadInt32()) };
                break;
            case PgValueKind.Time:
                value = new Value { TimeUs = cursor.ReadInt64() };
                break;
            case PgValueKind.TimeTz:
                var time = cursor.ReadInt64();
                var zone = cursor.ReadInt32();
                value = new Value { Timetz = new TimeTz { TimeUs = time, OffsetSeconds = -zone } };
                break;
            case PgValueKind.Timestamp:
                value = new Value { TimestampUs = PgCalendar.TimestampFromPg(cursor.ReadInt64(), typeName) };
                break;
            case PgValueKind.TimestampTz:
                value = new Value { TimestamptzUs = PgCalendar.TimestampFromPg(cursor.ReadInt64(), typeName) };
                break;
            case PgValueKind.Interval:
                var micros = cursor.ReadInt64();
                var days = cursor.ReadInt32();
                var months = cursor.ReadInt32();
                value = new Value { Interval = new Interval { Months = months, Days = days, Microseconds = micros } };
                break;
            case PgValueKind.Json:
                return new Value { Json = ScalarText.Utf8(data) };
            case PgValueKind.Jsonb:
                value = new Value { Json = ScalarText.Utf8(Versioned(ref cursor)) };
                break;
            case PgValueKind.JsonPath:
                value = new Value { Text = ScalarText.Utf8(Versioned(ref cursor)) };
                break;
            case PgValueKind.Inet:
            case PgValueKind.Cidr:
                return new Value { Inet = NetworkValues.InetFromBinary(data, typeName) };
            case PgValueKind.MacAddr:
                return new Value { Macaddr = NetworkValues.MacFromBinary(data, 6, typeName) };
            case PgValueKind.MacAddr8:
                return new Value { Macaddr = NetworkValues.MacFromBinary(data, 8, typeName) };
            case PgValueKind.Bit:
                value = new Value { Bits = Bits(ref cursor) };
                break;
            case PgValueKind.TsVector:
                return new Value { Tsvector = TsVectorBinary.ToText(data) };
            case PgValueKind.TsQuery:
                return new Value { Tsvector = TsQueryBinary.ToText(data) };
            case PgValueKind.Point:
            case PgValueKind.Line:
            case PgValueKind.Lseg:
            case PgValueKind.Box:
            case PgValueKind.Path:
            case PgValueKind.Polygon:
            case PgValueKind.Circle:
                return new Value { Geometry = GeometryValues.FromBinary(kind, data, typeName) };
            case PgValueKind.PgLsn:
                var lsn = (ulong)cursor.ReadInt64();
                value = new Value { Text = new Lsn(lsn).ToString() };
                break;
            case PgValueKind.Tid:
                var block = cursor.ReadUInt32();
                var offset = cursor.ReadUInt16();
                value = new Value { Text = string.Create(CultureInfo.InvariantCulture, $"({block},{offset})") };
                break;
            case PgValueKind.Snapshot:
                value = new Value { Text = Snapshot(ref cursor) };
                break;
            case PgValueKind.Text:
            case PgValueKind.Enum:
                return new Value { Text = ScalarText.Utf8(data) };
            default:
                // A type without a known send format: its raw bytes.
                return new Value { Bytes = ByteString.CopyFrom(data) };
        }

        cursor.ExpectEnd();
        return value;
    }

    /// <summary>charout: a byte with the high bit set prints as \ooo, NUL as the empty string.</summary>
    public static string CharText(byte c)
        => c switch
        {
            0 => string.Empty,
            >= 0x80 => string.Create(CultureInfo.InvariantCulture, $"\\{(c >> 6) & 7}{(c >> 3) & 7}{c & 7}"),
            _ => ((char)c).ToString(),
        };

    /// <summary>jsonb and jsonpath send a format version byte (1) before the text.</summary>
    private static ReadOnlySpan<byte> Versioned(ref BinaryCursor cursor)
    {
        var version = cursor.ReadByte();
        if (version != 1)
        {
            throw cursor.Fail($"unsupported format version {version}");
        }

        return cursor.Take(cursor.Remaining);
    }

    private static string Bits(ref BinaryCursor cursor)
    {
        var bitCount = cursor.ReadInt32();
        if (bitCount < 0 || (bitCount + 7L) / 8 != cursor.Remaining)
        {
            throw cursor.Fail($"bit length {bitCount} does not match {cursor.Remaining} data bytes");
        }

        var bytes = cursor.Take(cursor.Remaining);
        return string.Create(bitCount, bytes.ToArray(), static (chars, source) =>
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (source[i >> 3] & (0x80 >> (i & 7))) != 0 ? '1' : '0';
            }
        });
    }

    private static string Snapshot(ref BinaryCursor cursor)
    {
        var count = cursor.ReadInt32();
        var xmin = cursor.ReadInt64();
        var xmax = cursor.ReadInt64();
        if (count < 0 || count > cursor.Remaining / 8)
        {
            throw cursor.Fail($"xip count {count} exceeds the value");
        }

        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{xmin}:{xmax}:");
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(cursor.ReadInt64().ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }
}
