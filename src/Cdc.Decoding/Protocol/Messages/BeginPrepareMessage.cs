namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>b</c> (protocol 3+, two_phase): Int64 prepare_lsn, Int64 end_lsn, Int64 prepare_ts, Int32 xid, String gid.</summary>
internal sealed record BeginPrepareMessage(Lsn PrepareLsn, Lsn EndLsn, long PrepareTimestamp, uint Xid, string Gid)
{
    public static BeginPrepareMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new BeginPrepareMessage(reader.ReadLsn(), reader.ReadLsn(), reader.ReadInt64(), reader.ReadUInt32(), reader.ReadString());
        reader.ExpectEnd();
        return message;
    }
}
