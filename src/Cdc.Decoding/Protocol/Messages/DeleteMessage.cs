namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>D</c>: [xid], Int32 relid, <c>K</c> (old key) or <c>O</c> (old row), TupleData.</summary>
internal readonly record struct DeleteMessage(uint Xid, uint RelationId, byte OldTupleKind)
{
    public bool OldRowIsFull => OldTupleKind == (byte)'O';

    public static DeleteMessage Read(ref PgReader reader, bool streamed, TupleData oldRow)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var relationId = reader.ReadUInt32();
        var marker = reader.ReadByte();
        if (marker is not ((byte)'K' or (byte)'O'))
        {
            throw reader.Error($"expected 'K' or 'O' in a delete, found 0x{marker:X2}");
        }

        TupleDataReader.Read(ref reader, oldRow);
        reader.ExpectEnd();
        return new DeleteMessage(xid, relationId, marker);
    }
}
