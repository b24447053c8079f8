namespace Cdc.Decoding.Protocol.Messages;

/// <summary>
/// <c>M</c> (PostgreSQL 14+, <c>messages</c> on): [xid], Int8 flags (1 = transactional), Int64 lsn,
/// String prefix, Int32 length, bytes.
/// </summary>
internal readonly record struct LogicalDecodingMessage(uint Xid, bool Transactional, Lsn MessageLsn, string Prefix, ReadOnlyMemory<byte> Content)
{
    public static LogicalDecodingMessage Read(ref PgReader reader, bool streamed, CopyBuffer copyBuffer, StringCache? prefixes = null)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var flags = reader.ReadByte();
        var lsn = reader.ReadLsn();
        var prefix = reader.ReadString(prefixes);
        var length = reader.ReadInt32();
        var content = reader.ReadBytes(length, copyBuffer);
        reader.ExpectEnd();
        return new LogicalDecodingMessage(xid, (flags & 1) != 0, lsn, prefix, content);
    }
}
