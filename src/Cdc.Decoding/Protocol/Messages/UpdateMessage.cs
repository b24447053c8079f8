namespace Cdc.Decoding.Protocol.Messages;

/// <summary>
/// <c>U</c>: [xid], Int32 relid, optionally <c>K</c> (old key) or <c>O</c> (old row, REPLICA IDENTITY FULL)
/// with a TupleData, then <c>N</c> with the new TupleData.
/// </summary>
internal readonly record struct UpdateMessage(uint Xid, uint RelationId, byte OldTupleKind)
{
    public bool HasOldRow => OldTupleKind != 0;

    public bool OldRowIsFull => OldTupleKind == (byte)'O';

    public static UpdateMessage Read(ref PgReader reader, bool streamed, TupleData oldRow, TupleData newRow)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var relationId = reader.ReadUInt32();
        var marker = reader.ReadByte();
        byte oldKind = 0;
        if (marker is (byte)'K' or (byte)'O')
        {
            oldKind = marker;
            TupleDataReader.Read(ref reader, oldRow);
            marker = reader.ReadByte();
        }

        if (marker != (byte)'N')
        {
            throw reader.Error($"expected 'K', 'O' or 'N' in an update, found 0x{marker:X2}");
        }

        TupleDataReader.Read(ref reader, newRow);
        reader.ExpectEnd();
        return new UpdateMessage(xid, relationId, oldKind);
    }
}
