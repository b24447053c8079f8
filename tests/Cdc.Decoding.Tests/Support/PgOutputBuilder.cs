using System.Buffers.Binary;
using System.Text;

namespace Cdc.Decoding.Tests.Support;

/// <summary>Builds pgoutput messages byte by byte as the protocol documentation describes them.</summary>
public sealed class PgOutputBuilder
{
    private readonly List<byte> _bytes = [];

    public static PgOutputBuilder Message(char type) => new PgOutputBuilder().Byte((byte)type);

    public PgOutputBuilder Byte(byte value)
    {
        _bytes.Add(value);
        return this;
    }

    public PgOutputBuilder Char(char value) => Byte((byte)value);

    public PgOutputBuilder Int16(short value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteInt16BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public PgOutputBuilder Int32(int value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public PgOutputBuilder UInt32(uint value) => Int32(unchecked((int)value));

    public PgOutputBuilder Int64(long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        _bytes.AddRange(b.ToArray());
        return this;
    }

    public PgOutputBuilder String(string value)
    {
        _bytes.AddRange(Encoding.UTF8.GetBytes(value));
        _bytes.Add(0);
        return this;
    }

    public PgOutputBuilder Bytes(ReadOnlySpan<byte> value)
    {
        _bytes.AddRange(value.ToArray());
        return this;
    }

    /// <summary>TupleData: values are null (n), "~" for unchanged TOAST (u), text (t), or byte[] (b).</summary>
    public PgOutputBuilder Tuple(params object?[] values)
    {
        Int16((short)values.Length);
        foreach (var value in values)
        {
            switch (value)
            {
                case null:
                    Char('n');
                    break;
                case "~":
                    Char('u');
                    break;
                case string text:
                    var bytes = Encoding.UTF8.GetBytes(text);
                    Char('t').Int32(bytes.Length).Bytes(bytes);
                    break;
                case byte[] binary:
                    Char('b').Int32(binary.Length).Bytes(binary);
                    break;
                default:
                    throw new ArgumentException($"unsupported value {value}");
            }
        }

        return this;
    }

    public byte[] Build() => [.. _bytes];

    public static implicit operator byte[](PgOutputBuilder builder) => builder.Build();

    // Whole messages, fields in protocol order. xid != null adds the streamed-block [xid].
    public static byte[] Begin(ulong finalLsn, long commitTs, uint xid) => Message('B').Int64((long)finalLsn).Int64(commitTs).UInt32(xid);

    public static byte[] Commit(ulong commitLsn, ulong endLsn, long commitTs) => Message('C').Byte(0).Int64((long)commitLsn).Int64((long)endLsn).Int64(commitTs);

    public static byte[] Origin(ulong lsn, string name) => Message('O').Int64((long)lsn).String(name);

    public static byte[] Relation(uint relid, string ns, string name, char identity, params (string Name, uint Oid, int Typmod, bool Key)[] columns)
        => RelationStreamed(null, relid, ns, name, identity, columns);

    public static byte[] RelationStreamed(uint? xid, uint relid, string ns, string name, char identity, params (string Name, uint Oid, int Typmod, bool Key)[] columns)
    {
        var b = Message('R').Xid(xid).UInt32(relid).String(ns).String(name).Char(identity).Int16((short)columns.Length);
        foreach (var c in columns)
        {
            b.Byte(c.Key ? (byte)1 : (byte)0).String(c.Name).UInt32(c.Oid).Int32(c.Typmod);
        }

        return b;
    }

    public static byte[] Type(uint? xid, uint oid, string ns, string name) => Message('Y').Xid(xid).UInt32(oid).String(ns).String(name);

    public static byte[] Insert(uint? xid, uint relid, params object?[] values) => Message('I').Xid(xid).UInt32(relid).Char('N').Tuple(values);

    public static byte[] Update(uint? xid, uint relid, char? oldKind, object?[]? oldValues, params object?[] values)
    {
        var b = Message('U').Xid(xid).UInt32(relid);
        if (oldKind is { } kind)
        {
            b.Char(kind).Tuple(oldValues!);
        }

        return b.Char('N').Tuple(values);
    }

    public static byte[] Delete(uint? xid, uint relid, char oldKind, params object?[] oldValues) => Message('D').Xid(xid).UInt32(relid).Char(oldKind).Tuple(oldValues);

    public static byte[] Truncate(uint? xid, byte options, params uint[] relids)
    {
        var b = Message('T').Xid(xid).Int32(relids.Length).Byte(options);
        foreach (var id in relids)
        {
            b.UInt32(id);
        }

        return b;
    }

    public static byte[] LogicalMessage(uint? xid, bool transactional, ulong lsn, string prefix, string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        return Message('M').Xid(xid).Byte(transactional ? (byte)1 : (byte)0).Int64((long)lsn).String(prefix).Int32(bytes.Length).Bytes(bytes);
    }

    public static byte[] StreamStart(uint xid, bool first) => Message('S').UInt32(xid).Byte(first ? (byte)1 : (byte)0);

    public static byte[] StreamStop() => Message('E');

    public static byte[] StreamCommit(uint xid, ulong commitLsn, ulong endLsn, long ts) => Message('c').UInt32(xid).Byte(0).Int64((long)commitLsn).Int64((long)endLsn).Int64(ts);

    public static byte[] StreamAbort(uint xid, uint subXid) => Message('A').UInt32(xid).UInt32(subXid);

    public static byte[] StreamAbortParallel(uint xid, uint subXid, ulong abortLsn, long abortTs) => Message('A').UInt32(xid).UInt32(subXid).Int64((long)abortLsn).Int64(abortTs);

    public static byte[] BeginPrepare(ulong prepareLsn, ulong endLsn, long ts, uint xid, string gid) => Message('b').Int64((long)prepareLsn).Int64((long)endLsn).Int64(ts).UInt32(xid).String(gid);

    public static byte[] Prepare(ulong prepareLsn, ulong endLsn, long ts, uint xid, string gid) => Message('P').Byte(0).Int64((long)prepareLsn).Int64((long)endLsn).Int64(ts).UInt32(xid).String(gid);

    public static byte[] StreamPrepare(ulong prepareLsn, ulong endLsn, long ts, uint xid, string gid) => Message('p').Byte(0).Int64((long)prepareLsn).Int64((long)endLsn).Int64(ts).UInt32(xid).String(gid);

    public static byte[] CommitPrepared(ulong commitLsn, ulong endLsn, long ts, uint xid, string gid) => Message('K').Byte(0).Int64((long)commitLsn).Int64((long)endLsn).Int64(ts).UInt32(xid).String(gid);

    public static byte[] RollbackPrepared(ulong prepareEndLsn, ulong rollbackEndLsn, long prepareTs, long rollbackTs, uint xid, string gid)
        => Message('r').Byte(0).Int64((long)prepareEndLsn).Int64((long)rollbackEndLsn).Int64(prepareTs).Int64(rollbackTs).UInt32(xid).String(gid);

    private PgOutputBuilder Xid(uint? xid) => xid is { } value ? UInt32(value) : this;
}
