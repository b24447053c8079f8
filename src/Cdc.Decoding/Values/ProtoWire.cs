using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Cdc.Decoding.Values;

/// <summary>Protobuf wire-format sizes and a writer over a span: what the direct encoder needs, nothing more.</summary>
internal static class ProtoWire
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;

    public static int VarintSize(ulong value) => (BitOperations.Log2(value | 1) / 7) + 1;

    public static int TagSize(int field) => VarintSize((uint)field << 3);

    /// <summary>int32 fields sign-extend negatives to 10 bytes, as protobuf requires.</summary>
    public static int Int32Size(int value) => VarintSize((ulong)(long)value);

    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static ulong ZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    public static int LengthDelimitedSize(int field, int length) => TagSize(field) + VarintSize((uint)length) + length;

    public static int StringSize(int field, string value) => value.Length == 0 ? 0 : LengthDelimitedSize(field, Encoding.UTF8.GetByteCount(value));
}

/// <summary>Writes protobuf fields into a span sized beforehand (a short span is a bug: it throws).</summary>
internal ref struct ProtoSpanWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public ProtoSpanWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    public void Tag(int field, int wireType) => Varint(((uint)field << 3) | (uint)wireType);

    public void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _span[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _span[_position++] = (byte)value;
    }

    public void VarintField(int field, ulong value)
    {
        Tag(field, ProtoWire.Varint);
        Varint(value);
    }

    public void Fixed64Field(int field, ulong value)
    {
        Tag(field, ProtoWire.Fixed64);
        BinaryPrimitives.WriteUInt64LittleEndian(_span[_position..], value);
        _position += 8;
    }

    public void BytesField(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, ProtoWire.LengthDelimited);
        Varint((uint)value.Length);
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }

    public void StringField(int field, string value)
    {
        if (value.Length == 0)
        {
            return;
        }

        Tag(field, ProtoWire.LengthDelimited);
        Varint((uint)Encoding.UTF8.GetByteCount(value));
        _position += Encoding.UTF8.GetBytes(value, _span[_position..]);
    }

    /// <summary>Room for a nested message of known size, written by the caller (e.g. Google.Protobuf's WriteTo).</summary>
    public Span<byte> Reserve(int length)
    {
        var span = _span.Slice(_position, length);
        _position += length;
        return span;
    }
}
