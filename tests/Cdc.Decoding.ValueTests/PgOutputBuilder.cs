using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Cdc.Decoding.ValueTests;

/// <summary>Writes pgoutput (protocol 1) messages by hand for encoder tests.</summary>
internal sealed class PgOutputBuilder
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public static byte[] Begin(ulong finalLsn, uint xid) => new PgOutputBuilder().Byte('B').Int64((long)finalLsn).Int64(1000).Int32((int)xid).Bytes();

    public static byte[] Commit(ulong commitLsn, ulong endLsn) => new PgOutputBuilder().Byte('C').Byte(0).Int64((long)commitLsn).Int64((long)endLsn).Int64(1000).Bytes();

    public static byte[] Relation(uint id, string name, char identity, params (string Name, uint Type, bool Key)[] columns)
    {
        var builder = new PgOutputBuilder().Byte('R').Int32((int)id).String("public").String(name).Byte(identity).Int16((short)columns.Length);
        foreach (var (columnName, type, key) in columns)
        {
            builder.Byte(key ? 1 : 0).String(columnName).Int32((int)type).Int32(-1);
        }

        return builder.Bytes();
    }

    public PgOutputBuilder Tuple(params string?[] values)
    {
        Int16((short)values.Length);
        foreach (var value in values)
        {
            switch (value)
            {
                case null:
                    Byte('n');
                    break;
                case "\u0000unchanged":
                    Byte('u');
                    break;
                default:
                    var bytes = Encoding.UTF8.GetBytes(value);
                    Byte('t').Int32(bytes.Length);
                    _buffer.Write(bytes);
                    break;
            }
        }

        return this;
    }

    public const string Unchanged = "\u0000unchanged";

    public PgOutputBuilder Byte(char value) => Byte((byte)value);

    public PgOutputBuilder Byte(int value)
    {
        _buffer.Write<byte>([(byte)value]);
        return this;
    }

    public PgOutputBuilder Int16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
        return this;
    }

    public PgOutputBuilder Int32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
        return this;
    }

    public PgOutputBuilder Int64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
        return this;
    }

    public PgOutputBuilder String(string value)
    {
        _buffer.Write(Encoding.UTF8.GetBytes(value));
        return Byte(0);
    }

    public byte[] Bytes() => _buffer.WrittenSpan.ToArray();
}
