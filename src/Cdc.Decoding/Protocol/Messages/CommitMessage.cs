namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>C</c>: Int8 flags (0), Int64 commit_lsn, Int64 end_lsn, Int64 commit_ts.</summary>
internal readonly record struct CommitMessage(byte Flags, Lsn CommitLsn, Lsn EndLsn, long CommitTimestamp)
{
    public static CommitMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new CommitMessage(reader.ReadByte(), reader.ReadLsn(), reader.ReadLsn(), reader.ReadInt64());
        reader.ExpectEnd();
        return message;
    }
}
