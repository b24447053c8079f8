using System.Globalization;
using Cdc.V1;

namespace Cdc.Decoding.Values;

/// <summary>point, line, lseg, box, path, polygon and circle in text and binary form.</summary>
internal static class GeometryValues
{
    public static Geometry FromBinary(PgValueKind kind, ReadOnlySpan<byte> data, string typeName)
    {
        var cursor = new BinaryCursor(data, typeName);
        var geometry = new Geometry { Kind = KindOf(kind) };
        int count;
        switch (kind)
        {
            case PgValueKind.Path:
                var closed = cursor.ReadByte();
                geometry.Closed = closed != 0;
                count = PointCount(ref cursor);
                break;
            case PgValueKind.Polygon:
                geometry.Closed = true;
                count = PointCount(ref cursor);
                break;
            default:
                count = FixedCount(kind);
                break;
        }

        for (var i = 0; i < count; i++)
        {
            geometry.Values.Add(cursor.ReadDouble());
        }

        cursor.ExpectEnd();
        return geometry;
    }

    public static Geometry FromText(PgValueKind kind, ReadOnlySpan<byte> text, string typeName)
    {
        var geometry = new Geometry { Kind = KindOf(kind), Closed = kind == PgValueKind.Polygon || (kind == PgValueKind.Path && text.Length > 0 && text[0] == (byte)'(') };
        var position = 0;
        while (position < text.Length)
        {
            var c = text[position];
            if (c is (byte)'(' or (byte)')' or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'<' or (byte)'>' or (byte)',' or (byte)' ')
            {
                position++;
                continue;
            }

            var end = position;
            while (end < text.Length && text[end] is not ((byte)'(' or (byte)')' or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'<' or (byte)'>' or (byte)',' or (byte)' '))
            {
                end++;
            }

            geometry.Values.Add(ScalarText.ParseDouble(text[position..end], typeName));
            position = end;
        }

        var count = geometry.Values.Count;
        var valid = kind is PgValueKind.Path or PgValueKind.Polygon ? count >= 2 && count % 2 == 0 : count == FixedCount(kind);
        if (!valid)
        {
            throw ValueErrors.Malformed(typeName, $"{count.ToString(CultureInfo.InvariantCulture)} numbers", text);
        }

        return geometry;
    }

    private static int PointCount(ref BinaryCursor cursor)
    {
        var points = cursor.ReadInt32();
        if (points < 0 || points > cursor.Remaining / 16)
        {
            throw cursor.Fail($"point count {points} exceeds the value");
        }

        return points * 2;
    }

    private static int FixedCount(PgValueKind kind) => kind switch
    {
        PgValueKind.Point => 2,
        PgValueKind.Line or PgValueKind.Circle => 3,
        _ => 4,
    };

    private static Geometry.Types.Kind KindOf(PgValueKind kind) => kind switch
    {
        PgValueKind.Point => Geometry.Types.Kind.Point,
        PgValueKind.Line => Geometry.Types.Kind.Line,
        PgValueKind.Lseg => Geometry.Types.Kind.Lseg,
        PgValueKind.Box => Geometry.Types.Kind.Box,
        PgValueKind.Path => Geometry.Types.Kind.Path,
        PgValueKind.Polygon => Geometry.Types.Kind.Polygon,
        _ => Geometry.Types.Kind.Circle,
    };
}
