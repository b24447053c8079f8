namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>B</c>: Int64 final_lsn, Int64 commit_ts, Int32 xid.</summary>
internal readonly record struct BeginMessage(Lsn FinalLsn, long CommitTimestamp, uint Xid)
{
    public static BeginMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new BeginMessage(reader.ReadLsn(), reader.ReadInt64(), reader.ReadUInt32());
        reader.ExpectEnd();
        return message;
    }
}
