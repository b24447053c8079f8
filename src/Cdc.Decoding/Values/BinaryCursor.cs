using System.Buffers.Binary;

namespace Cdc.Decoding.Values;

/// <summary>
/// Reads big-endian fields of a binary send-format value. Every read is bounds-checked and a short value
/// throws a <see cref="PgOutputException"/> naming the type, never an IndexOutOfRangeException.
/// </summary>
internal ref struct BinaryCursor
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly string _typeName;
    private int _offset;

    public BinaryCursor(ReadOnlySpan<byte> data, string typeName)
    {
        _data = data;
        _typeName = typeName;
        _offset = 0;
    }

    public readonly int Remaining => _data.Length - _offset;

    public readonly int Offset => _offset;

    public byte ReadByte() => Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadDouble() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>A length-prefixed field: -1 means NULL (returns false).</summary>
    public bool TryReadField(out ReadOnlySpan<byte> field)
    {
        var length = ReadInt32();
        if (length == -1)
        {
            field = default;
            return false;
        }

        if (length < 0)
        {
            throw Fail($"negative field length {length}");
        }

        field = Take(length);
        return true;
    }

    /// <summary>A NUL-terminated string (tsvector lexemes).</summary>
    public ReadOnlySpan<byte> ReadCString()
    {
        var rest = _data[_offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw Fail("unterminated string");
        }

        _offset += end + 1;
        return rest[..end];
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _data.Length - _offset)
        {
            throw Fail($"needs {count} bytes at offset {_offset} but {_data.Length - _offset} remain");
        }

        var span = _data.Slice(_offset, count);
        _offset += count;
        return span;
    }

    /// <summary>Checks that the whole value was consumed.</summary>
    public readonly void ExpectEnd()
    {
        if (_offset != _data.Length)
        {
            throw Fail($"{_data.Length - _offset} unexpected trailing bytes");
        }
    }

    public readonly PgOutputException Fail(string detail) => ValueErrors.Malformed(_typeName, detail);
}
