namespace Cdc.Decoding.Protocol.Messages;

/// <summary>
/// <c>r</c> (protocol 3+): Int8 flags, Int64 prepare_end_lsn, Int64 rollback_end_lsn, Int64 prepare_ts,
/// Int64 rollback_ts, Int32 xid, String gid.
/// </summary>
internal sealed record RollbackPreparedMessage(byte Flags, Lsn PrepareEndLsn, Lsn RollbackEndLsn, long PrepareTimestamp, long RollbackTimestamp, uint Xid, string Gid)
{
    public static RollbackPreparedMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new RollbackPreparedMessage(reader.ReadByte(), reader.ReadLsn(), reader.ReadLsn(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadUInt32(), reader.ReadString());
        reader.ExpectEnd();
        return message;
    }
}
