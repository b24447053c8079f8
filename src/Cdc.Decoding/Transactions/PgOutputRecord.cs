namespace Cdc.Decoding;

/// <summary>
/// One pgoutput message kept by a <see cref="CommittedTransaction"/>: the type byte and the fields after the
/// streamed-block <c>[xid]</c> (which is removed and kept in <see cref="Xid"/>), and the LSN the server sent it at.
/// <see cref="Data"/> may point into a reused buffer: valid until the next record is read.
/// </summary>
public readonly record struct PgOutputRecord(Lsn Lsn, uint Xid, ReadOnlyMemory<byte> Data)
{
    public byte MessageType => Data.IsEmpty ? (byte)0 : Data.Span[0];
}
