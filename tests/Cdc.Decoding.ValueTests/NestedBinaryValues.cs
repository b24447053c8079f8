using System.Buffers.Binary;

namespace Cdc.Decoding.ValueTests;

/// <summary>
/// Builds binary send-format values that nest records (<c>record</c>, OID 2249), arrays of records and int4 arrays,
/// and int4 ranges, the way a hostile or merely deep row could, and knows how deep each one nests.
/// </summary>
internal static class NestedBinaryValues
{
    public const uint RecordOid = 2249;
    public const uint RecordArray = 2287;
    public const uint Int4 = 23;
    public const uint Int4Array = 1007;
    public const uint Text = 25;
    public const uint Int4Range = 3904;

    /// <summary>A record holding a record ... <paramref name="levels"/> records deep, an int4 in the innermost.</summary>
    public static byte[] RecordChain(int levels)
    {
        var value = RecordOf((Int4, BigEndian(42)));
        for (var level = 1; level < levels; level++)
        {
            value = RecordOf((RecordOid, value));
        }

        return value;
    }

    /// <summary>A record of the given fields (a null field when the bytes are null).</summary>
    public static byte[] RecordOf(params (uint Oid, byte[]? Bytes)[] fields)
    {
        var size = 4 + fields.Sum(f => 8 + (f.Bytes?.Length ?? 0));
        var value = new byte[size];
        BinaryPrimitives.WriteInt32BigEndian(value, fields.Length);
        var offset = 4;
        foreach (var (oid, bytes) in fields)
        {
            BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(offset), oid);
            BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(offset + 4), bytes?.Length ?? -1);
            bytes?.CopyTo(value, offset + 8);
            offset += 8 + (bytes?.Length ?? 0);
        }

        return value;
    }

    /// <summary>A one-dimensional array of elements of one type (lower bound 1).</summary>
    public static byte[] ArrayOf(uint elementOid, params byte[]?[] elements)
    {
        var size = 20 + elements.Sum(e => 4 + (e?.Length ?? 0));
        var value = new byte[size];
        BinaryPrimitives.WriteInt32BigEndian(value, 1);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(4), elements.Any(e => e is null) ? 1 : 0);
        BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(8), elementOid);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(12), elements.Length);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(16), 1);
        var offset = 20;
        foreach (var element in elements)
        {
            BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(offset), element?.Length ?? -1);
            element?.CopyTo(value, offset + 4);
            offset += 4 + (element?.Length ?? 0);
        }

        return value;
    }

    /// <summary>[lower, upper) of int4.</summary>
    public static byte[] Int4RangeOf(int lower, int upper)
    {
        var value = new byte[1 + 16];
        value[0] = 0x02; // lower inclusive
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(1), 4);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(5), lower);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(9), 4);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(13), upper);
        return value;
    }

    public static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>
    /// A random value whose containers (records, arrays, ranges) nest exactly <paramref name="levels"/> deep
    /// (0: a scalar), with shallower siblings and NULL fields mixed in.
    /// </summary>
    public static (uint Oid, byte[] Bytes) Random(Random random, int levels)
    {
        if (levels == 0)
        {
            return random.Next(2) == 0
                ? (Int4, BigEndian(random.Next()))
                : (Text, System.Text.Encoding.UTF8.GetBytes(new string('x', random.Next(8))));
        }

        if (levels == 1 && random.Next(3) != 0)
        {
            return random.Next(2) == 0
                ? (Int4Range, Int4RangeOf(random.Next(100), 100 + random.Next(100)))
                : (Int4Array, ArrayOf(Int4, [.. Enumerable.Range(0, random.Next(4)).Select(i => random.Next(5) == 0 ? null : BigEndian(i))]));
        }

        if (levels == 1 || random.Next(3) != 0)
        {
            return (RecordOid, RandomRecord(random, levels));
        }

        // An array of records: one as deep as allowed, maybe a shallow one beside it.
        var deep = RandomRecord(random, levels - 1);
        return random.Next(2) == 0
            ? (RecordArray, ArrayOf(RecordOid, deep))
            : (RecordArray, ArrayOf(RecordOid, RandomRecord(random, 1 + random.Next(Math.Min(levels - 1, 3))), null, deep));
    }

    /// <summary>A record nesting exactly <paramref name="levels"/> deep (itself included): one field one level less, others shallower or NULL.</summary>
    private static byte[] RandomRecord(Random random, int levels)
    {
        var count = 1 + random.Next(3);
        var deep = random.Next(count);
        var fields = new (uint Oid, byte[]? Bytes)[count];
        for (var i = 0; i < count; i++)
        {
            if (i != deep && random.Next(5) == 0)
            {
                fields[i] = (Int4, null);
                continue;
            }

            // Siblings stay shallow so a value's size grows with its depth, not exponentially.
            var (oid, bytes) = Random(random, i == deep ? levels - 1 : random.Next(Math.Min(levels, 3)));
            fields[i] = (oid, bytes);
        }

        return RecordOf(fields);
    }
}
