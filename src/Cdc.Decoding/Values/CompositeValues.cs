using System.Buffers;
using Cdc.V1;

namespace Cdc.Decoding.Values;

/// <summary>Composite types in record_out text (<c>(1,"a b",,"")</c>) and record_send binary (field OIDs included).
/// <c>depth</c> is the nesting depth of the fields.</summary>
internal static class CompositeValues
{
    public static Composite FromBinary(ValueConverter converter, TypeShape shape, ReadOnlySpan<byte> data, int depth)
    {
        var cursor = new BinaryCursor(data, shape.Name);
        var count = cursor.ReadInt32();
        // Each field takes at least its OID and length.
        if (count < 0 || count > cursor.Remaining / 8)
        {
            throw cursor.Fail($"field count {count} exceeds the value");
        }

        var composite = new Composite();
        for (var i = 0; i < count; i++)
        {
            var oid = cursor.ReadUInt32();
            var field = i < shape.Fields.Count ? shape.Fields[i] : null;
            var value = cursor.TryReadField(out var bytes) ? converter.ConvertBinary(oid, bytes, depth) : ValueConverter.Null;
            composite.Fields.Add(Column(converter, field?.Name ?? string.Empty, oid, field?.TypeModifier ?? -1, value));
        }

        cursor.ExpectEnd();
        return composite;
    }

    /// <summary>Text form needs the fields' types from the resolver (the caller checks there are some).</summary>
    public static Composite FromText(ValueConverter converter, TypeShape shape, ReadOnlySpan<byte> text, int depth)
    {
        if (text.Length < 2 || text[0] != (byte)'(' || text[^1] != (byte)')')
        {
            throw Fail(shape, text, "expected parentheses");
        }

        var composite = new Composite();
        var position = 1;
        for (var i = 0; i < shape.Fields.Count; i++)
        {
            if (i > 0)
            {
                if (position >= text.Length - 1 || text[position] != (byte)',')
                {
                    throw Fail(shape, text, $"expected {shape.Fields.Count} fields");
                }

                position++;
            }

            var field = shape.Fields[i];
            var value = ReadField(converter, field.TypeOid, text, ref position, shape, depth);
            composite.Fields.Add(Column(converter, field.Name, field.TypeOid, field.TypeModifier, value));
        }

        return position == text.Length - 1 ? composite : throw Fail(shape, text, $"more than {shape.Fields.Count} fields");
    }

    private static Value ReadField(ValueConverter converter, uint oid, ReadOnlySpan<byte> text, ref int position, TypeShape shape, int depth)
    {
        var start = position;
        var escaped = false;
        // A field may mix quoted and unquoted parts; it ends at a ',' or the final ')' outside quotes.
        while (position < text.Length - 1 && text[position] != (byte)',')
        {
            if (text[position] == (byte)'"')
            {
                position = QuotedText.FindEnd(text, position, shape.Name, out _);
                escaped = true;
            }
            else if (text[position] == (byte)'\\')
            {
                position += 2;
                escaped = true;
            }
            else
            {
                position++;
            }
        }

        if (position > text.Length - 1)
        {
            throw Fail(shape, text, "escape at the end");
        }

        var token = text[start..position];
        if (token.IsEmpty)
        {
            return ValueConverter.Null;
        }

        if (!escaped)
        {
            return converter.ConvertText(oid, token, depth);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(token.Length);
        try
        {
            return converter.ConvertText(oid, buffer.AsSpan(0, Unescape(token, buffer)), depth);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Drops the quotes of quoted parts, turns "" inside quotes into " and \x into x.</summary>
    private static int Unescape(ReadOnlySpan<byte> token, Span<byte> destination)
    {
        var length = 0;
        var quoted = false;
        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            if (c == (byte)'\\' && i + 1 < token.Length)
            {
                destination[length++] = token[++i];
            }
            else if (c == (byte)'"')
            {
                if (quoted && i + 1 < token.Length && token[i + 1] == (byte)'"')
                {
                    destination[length++] = (byte)'"';
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else
            {
                destination[length++] = c;
            }
        }

        return length;
    }

    private static Column Column(ValueConverter converter, string name, uint oid, int typeModifier, Value value)
        => new() { Name = name, TypeOid = oid, TypeName = converter.TypeName(oid), TypeModifier = typeModifier, Value = value };

    private static PgOutputException Fail(TypeShape shape, ReadOnlySpan<byte> text, string detail)
        => ValueErrors.Malformed(shape.Name, detail, text);
}
