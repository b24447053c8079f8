using System.Buffers;
using Cdc.V1;
using PgRange = Cdc.V1.Range;

namespace Cdc.Decoding.Values;

/// <summary>Ranges and multiranges in text (<c>[1,5)</c>, <c>empty</c>, <c>{[1,3),[5,7)}</c>) and binary form.</summary>
internal static class RangeValues
{
    private const byte Empty = 0x01;
    private const byte LowerInclusive = 0x02;
    private const byte UpperInclusive = 0x04;
    private const byte LowerInfinite = 0x08;
    private const byte UpperInfinite = 0x10;

    public static PgRange FromBinary(ValueConverter converter, uint subtypeOid, ReadOnlySpan<byte> data, string typeName, int depth)
    {
        var cursor = new BinaryCursor(data, typeName);
        var flags = cursor.ReadByte();
        var range = new PgRange();
        if ((flags & Empty) != 0)
        {
            range.Empty = true;
        }
        else
        {
            range.LowerInclusive = (flags & LowerInclusive) != 0;
            range.UpperInclusive = (flags & UpperInclusive) != 0;
            if ((flags & LowerInfinite) == 0)
            {
                range.Lower = converter.ConvertBinary(subtypeOid, ReadBound(ref cursor), depth);
            }

            if ((flags & UpperInfinite) == 0)
            {
                range.Upper = converter.ConvertBinary(subtypeOid, ReadBound(ref cursor), depth);
            }
        }

        cursor.ExpectEnd();
        return range;
    }

    public static Multirange MultirangeFromBinary(ValueConverter converter, uint subtypeOid, ReadOnlySpan<byte> data, string typeName, int depth)
    {
        var cursor = new BinaryCursor(data, typeName);
        var count = cursor.ReadInt32();
        if (count < 0 || count > cursor.Remaining / 5)
        {
            throw cursor.Fail($"range count {count} exceeds the value");
        }

        var multirange = new Multirange();
        for (var i = 0; i < count; i++)
        {
            multirange.Ranges.Add(FromBinary(converter, subtypeOid, ReadBound(ref cursor), typeName, depth));
        }

        cursor.ExpectEnd();
        return multirange;
    }

    public static PgRange FromText(ValueConverter converter, uint subtypeOid, ReadOnlySpan<byte> text, string typeName, int depth)
    {
        if (text.SequenceEqual("empty"u8))
        {
            return new PgRange { Empty = true };
        }

        var position = 0;
        var range = Parse(converter, subtypeOid, text, ref position, typeName, depth);
        return position == text.Length ? range : throw Fail(typeName, text, "trailing text");
    }

    public static Multirange MultirangeFromText(ValueConverter converter, uint subtypeOid, ReadOnlySpan<byte> text, string typeName, int depth)
    {
        if (text.Length < 2 || text[0] != (byte)'{' || text[^1] != (byte)'}')
        {
            throw Fail(typeName, text, "expected braces");
        }

        var multirange = new Multirange();
        var position = 1;
        while (position < text.Length - 1)
        {
            if (text[position] is (byte)',' or (byte)' ')
            {
                position++;
                continue;
            }

            if (text[position..].StartsWith("empty"u8))
            {
                multirange.Ranges.Add(new PgRange { Empty = true });
                position += 5;
                continue;
            }

            multirange.Ranges.Add(Parse(converter, subtypeOid, text, ref position, typeName, depth));
        }

        return multirange;
    }

    private static PgRange Parse(ValueConverter converter, uint subtypeOid, ReadOnlySpan<byte> text, ref int position, string typeName, int depth)
    {
        var range = new PgRange();
        if (position >= text.Length || text[position] is not ((byte)'[' or (byte)'('))
        {
            throw Fail(typeName, text, "expected '[' or '('");
        }

        range.LowerInclusive = text[position++] == (byte)'[';
        range.Lower = ReadBound(converter, subtypeOid, text, ref position, typeName, depth);
        if (position >= text.Length || text[position] != (byte)',')
        {
            throw Fail(typeName, text, "expected ','");
        }

        position++;
        range.Upper = ReadBound(converter, subtypeOid, text, ref position, typeName, depth);
        if (position >= text.Length || text[position] is not ((byte)']' or (byte)')'))
        {
            throw Fail(typeName, text, "expected ']' or ')'");
        }

        range.UpperInclusive = text[position++] == (byte)']';
        return range;
    }

    /// <summary>A bound up to the next ',' or closing bracket; nothing there means unbounded (null).</summary>
    private static Value? ReadBound(ValueConverter converter, uint subtypeOid, ReadOnlySpan<byte> text, ref int position, string typeName, int depth)
    {
        if (position < text.Length && text[position] == (byte)'"')
        {
            var end = QuotedText.FindEnd(text, position, typeName, out var escaped);
            var content = text[(position + 1)..(end - 1)];
            position = end;
            if (!escaped)
            {
                return converter.ConvertText(subtypeOid, content, depth);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(content.Length);
            try
            {
                return converter.ConvertText(subtypeOid, buffer.AsSpan(0, QuotedText.Unescape(content, buffer)), depth);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var start = position;
        while (position < text.Length && text[position] is not ((byte)',' or (byte)']' or (byte)')'))
        {
            position++;
        }

        return position == start ? null : converter.ConvertText(subtypeOid, text[start..position], depth);
    }

    private static ReadOnlySpan<byte> ReadBound(ref BinaryCursor cursor)
        => cursor.TryReadField(out var field) ? field : throw cursor.Fail("NULL bound");

    private static PgOutputException Fail(string typeName, ReadOnlySpan<byte> text, string detail)
        => ValueErrors.Malformed(typeName, detail, text);
}
