using System.Buffers.Binary;
using System.Text;

namespace Cdc.Benchmarks.FakeServer;

/// <summary>Builds backend messages (type byte, Int32 length including itself, body) for the fake server's replies.</summary>
internal sealed class MessageWriter
{
    private readonly MemoryStream _buffer = new();
    private long _lengthAt = -1;

    public MessageWriter Begin(byte type)
    {
        _buffer.WriteByte(type);
        _lengthAt = _buffer.Position;
        _buffer.Write(stackalloc byte[4]);
        return this;
    }

    public MessageWriter Byte(byte value)
    {
        _buffer.WriteByte(value);
        return this;
    }

    public MessageWriter Int32(int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public MessageWriter Int16(short value)
    {
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteInt16BigEndian(bytes, value);
        _buffer.Write(bytes);
        return this;
    }

    public MessageWriter CString(string value)
    {
        _buffer.Write(Encoding.UTF8.GetBytes(value));
        _buffer.WriteByte(0);
        return this;
    }

    public void End()
    {
        var end = _buffer.Position;
        var length = checked((int)(end - _lengthAt));
        _buffer.Position = _lengthAt;
        Int32(length);
        _buffer.Position = end;
    }

    public byte[] ToArray() => _buffer.ToArray();
}
