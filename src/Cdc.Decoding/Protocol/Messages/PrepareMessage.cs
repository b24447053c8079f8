namespace Cdc.Decoding.Protocol.Messages;

/// <summary>
/// <c>P</c> (protocol 3+) and <c>p</c> Stream Prepare (same layout): Int8 flags, Int64 prepare_lsn,
/// Int64 end_lsn, Int64 prepare_ts, Int32 xid, String gid.
/// </summary>
internal sealed record PrepareMessage(byte Flags, Lsn PrepareLsn, Lsn EndLsn, long PrepareTimestamp, uint Xid, string Gid)
{
    public static PrepareMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var message = new PrepareMessage(reader.ReadByte(), reader.ReadLsn(), reader.ReadLsn(), reader.ReadInt64(), reader.ReadUInt32(), reader.ReadString());
        reader.ExpectEnd();
        return message;
    }
}
