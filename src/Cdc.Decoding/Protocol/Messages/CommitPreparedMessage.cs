namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>K</c> (protocol 3+): Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 commit_ts, Int32 xid, String gid.</summary>
internal sealed record CommitPreparedMessage(byte Flags, Lsn CommitLsn, Lsn EndLsn, long CommitTimestamp, uint Xid, string Gid)
{
    public static CommitPreparedMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new CommitPreparedMessage(reader.ReadByte(), reader.ReadLsn(), reader.ReadLsn(), reader.ReadInt64(), reader.ReadUInt32(), reader.ReadString());
        reader.ExpectEnd();
        return message;
    }
}
