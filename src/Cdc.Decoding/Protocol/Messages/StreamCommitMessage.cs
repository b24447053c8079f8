namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>c</c> (protocol 2+): Int32 xid, Int8 flags, Int64 commit_lsn, Int64 end_lsn, Int64 commit_ts.</summary>
internal readonly record struct StreamCommitMessage(uint Xid, byte Flags, Lsn CommitLsn, Lsn EndLsn, long CommitTimestamp)
{
    public static StreamCommitMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new StreamCommitMessage(reader.ReadUInt32(), reader.ReadByte(), reader.ReadLsn(), reader.ReadLsn(), reader.ReadInt64());
        reader.ExpectEnd();
        return message;
    }
}
