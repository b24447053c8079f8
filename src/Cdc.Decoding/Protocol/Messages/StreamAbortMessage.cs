namespace Cdc.Decoding.Protocol.Messages;

/// <summary>
/// <c>A</c> (protocol 2+): Int32 xid, Int32 subxid (= xid when the whole transaction aborted). Protocol 4
/// (PostgreSQL 16+) with <c>streaming = parallel</c> adds Int64 abort_lsn and Int64 abort_ts.
/// </summary>
internal readonly record struct StreamAbortMessage(uint Xid, uint SubXid, Lsn AbortLsn, long AbortTimestamp)
{
    public bool AbortsWholeTransaction => Xid == SubXid;

    public static StreamAbortMessage Read(ref PgReader reader)
    {
        reader.ReadByte();
        var xid = reader.ReadUInt32();
        var subXid = reader.ReadUInt32();
        var abortLsn = Lsn.Invalid;
        long abortTimestamp = 0;

        // The abort position is only sent for parallel streaming, which the server decides: accept both forms on v4.
        if (reader.Options.ProtocolVersion >= 4 && reader.Remaining > 0)
        {
            abortLsn = reader.ReadLsn();
            abortTimestamp = reader.ReadInt64();
        }

        reader.ExpectEnd();
        return new StreamAbortMessage(xid, subXid, abortLsn, abortTimestamp);
    }
}
