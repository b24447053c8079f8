using System.Buffers;
using Cdc.V1;
using PgArray = Cdc.V1.Array;

namespace Cdc.Decoding.Values;

/// <summary>
/// Parses array_out's text: <c>{1,NULL,"a \"b\""}</c>, nested braces for more dimensions, and an explicit
/// bounds decoration (<c>[0:1]={1,2}</c>) when a lower bound is not 1.
/// </summary>
internal static class ArrayText
{
    private const int MaxDimensions = 6;

    public static Value Parse(ValueConverter converter, TypeShape shape, ReadOnlySpan<byte> text, int elementNesting)
    {
        var elementOid = shape.RelatedOid;
        var delimiter = converter.Shape(elementOid).Delimiter;
        var array = new PgArray { ElementTypeOid = elementOid };
        Span<int> lowerBounds = stackalloc int[MaxDimensions];
        Span<int> declared = stackalloc int[MaxDimensions];
        var declaredDimensions = 0;
        var position = 0;
        if (text.Length > 0 && text[0] == (byte)'[')
        {
            var cursor = new TextCursor(text, shape.Name);
            while (cursor.TryConsume((byte)'['))
            {
                if (declaredDimensions == MaxDimensions)
                {
                    throw cursor.Fail("too many dimensions");
                }

                var lower = ReadSigned(ref cursor);
                cursor.Expect((byte)':');
                var upper = ReadSigned(ref cursor);
                cursor.Expect((byte)']');
                lowerBounds[declaredDimensions] = (int)lower;
                declared[declaredDimensions] = (int)(upper - lower + 1);
                declaredDimensions++;
            }

            cursor.Expect((byte)'=');
            position = cursor.Offset;
        }

        Span<int> counts = stackalloc int[MaxDimensions];
        Span<int> dimensions = stackalloc int[MaxDimensions];
        var elementDepth = 0;
        var depth = 0;
        if (position >= text.Length || text[position] != (byte)'{')
        {
            throw Fail(shape, text, "expected '{'");
        }

        while (position < text.Length)
        {
            var c = text[position];
            if (c == (byte)'{')
            {
                if (depth == MaxDimensions)
                {
                    throw Fail(shape, text, "too many dimensions");
                }

                counts[depth++] = 0;
                position++;
            }
            else if (c == (byte)'}')
            {
                if (depth == 0)
                {
                    throw Fail(shape, text, "unbalanced '}'");
                }

                depth--;
                if (dimensions[depth] == 0)
                {
                    dimensions[depth] = counts[depth];
                }
                else if (dimensions[depth] != counts[depth])
                {
                    throw Fail(shape, text, "ragged dimensions");
                }

                position++;
                if (depth == 0)
                {
                    break;
                }

                counts[depth - 1]++;
            }
            else if (c == delimiter || c == (byte)' ')
            {
                position++;
            }
            else
            {
                if (depth == 0 || (elementDepth != 0 && elementDepth != depth))
                {
                    throw Fail(shape, text, "element outside the innermost braces");
                }

                elementDepth = depth;
                position = ReadElement(converter, elementOid, delimiter, text, position, array, shape, elementNesting);
                counts[depth - 1]++;
            }
        }

        if (depth != 0 || position != text.Length)
        {
            throw Fail(shape, text, "unbalanced braces or trailing text");
        }

        if (elementDepth > 0)
        {
            if (declaredDimensions != 0 && declaredDimensions != elementDepth)
            {
                throw Fail(shape, text, "bounds decoration does not match the dimensions");
            }

            for (var d = 0; d < elementDepth; d++)
            {
                if (declaredDimensions != 0 && declared[d] != dimensions[d])
                {
                    throw Fail(shape, text, "bounds decoration does not match the elements");
                }

                array.Dimensions.Add(dimensions[d]);
                array.LowerBounds.Add(declaredDimensions != 0 ? lowerBounds[d] : 1);
            }
        }

        return new Value { Array = array };
    }

    private static int ReadElement(ValueConverter converter, uint elementOid, byte delimiter, ReadOnlySpan<byte> text, int position, PgArray array, TypeShape shape, int elementNesting)
    {
        if (text[position] == (byte)'"')
        {
            var end = QuotedText.FindEnd(text, position, shape.Name, out var escaped);
            var content = text[(position + 1)..(end - 1)];
            if (!escaped)
            {
                array.Elements.Add(converter.ConvertText(elementOid, content, elementNesting));
                return end;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(content.Length);
            try
            {
                var length = QuotedText.Unescape(content, buffer);
                array.Elements.Add(converter.ConvertText(elementOid, buffer.AsSpan(0, length), elementNesting));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return end;
        }

        var stop = position;
        while (stop < text.Length && text[stop] != delimiter && text[stop] != (byte)'}')
        {
            stop++;
        }

        var token = text[position..stop];
        array.Elements.Add(IsNull(token) ? ValueConverter.Null : converter.ConvertText(elementOid, token, elementNesting));
        return stop;
    }

    private static bool IsNull(ReadOnlySpan<byte> token)
        => token.Length == 4 && (token[0] | 0x20) == 'n' && (token[1] | 0x20) == 'u' && (token[2] | 0x20) == 'l' && (token[3] | 0x20) == 'l';

    private static long ReadSigned(ref TextCursor cursor)
    {
        var negative = cursor.TryConsume((byte)'-');
        var value = cursor.ReadNumber();
        value = negative ? -value : value;
        return value is < int.MinValue or > int.MaxValue ? throw cursor.Fail("bound out of range") : value;
    }

    private static PgOutputException Fail(TypeShape shape, ReadOnlySpan<byte> text, string detail)
        => ValueErrors.Malformed(shape.Name, detail, text);
}
