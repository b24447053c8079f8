using Cdc.V1;
using PgArray = Cdc.V1.Array;

namespace Cdc.Decoding.Values;

/// <summary>
/// Parses array_send: ndim, has-null flag, element OID, (length, lower bound) per dimension, then the elements.
/// <paramref name="depth"/> in <see cref="Parse"/> is the nesting depth of the elements.
/// </summary>
internal static class ArrayBinary
{
    private const int MaxDimensions = 6;

    public static Value Parse(ValueConverter converter, TypeShape shape, ReadOnlySpan<byte> data, int depth)
    {
        var cursor = new BinaryCursor(data, shape.Name);
        var dimensionCount = cursor.ReadInt32();
        var flags = cursor.ReadInt32();
        var elementOid = cursor.ReadUInt32();
        if (dimensionCount is < 0 or > MaxDimensions || flags is not (0 or 1))
        {
            throw cursor.Fail($"bad header (ndim {dimensionCount}, flags {flags})");
        }

        var array = new PgArray { ElementTypeOid = elementOid };
        long total = dimensionCount == 0 ? 0 : 1;
        for (var d = 0; d < dimensionCount; d++)
        {
            var length = cursor.ReadInt32();
            var lower = cursor.ReadInt32();
            if (length < 0)
            {
                throw cursor.Fail($"negative dimension {length}");
            }

            total *= length;
            // Every element takes at least its 4-byte length: checked before anything is allocated.
            if (total > cursor.Remaining / 4)
            {
                throw cursor.Fail($"{total} elements cannot fit in the value");
            }

            array.Dimensions.Add(length);
            array.LowerBounds.Add(lower);
        }

        if (total == 0)
        {
            // PostgreSQL sends an empty array as zero dimensions; normalise any other empty shape to that.
            array.Dimensions.Clear();
            array.LowerBounds.Clear();
        }

        for (long i = 0; i < total; i++)
        {
            array.Elements.Add(cursor.TryReadField(out var element) ? converter.ConvertBinary(elementOid, element, depth) : ValueConverter.Null);
        }

        cursor.ExpectEnd();
        return new Value { Array = array };
    }
}
