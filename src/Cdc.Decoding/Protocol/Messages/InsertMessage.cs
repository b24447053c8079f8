namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>I</c>: [xid], Int32 relid, <c>N</c>, TupleData. The tuple goes into the given reusable <see cref="TupleData"/>.</summary>
internal readonly record struct InsertMessage(uint Xid, uint RelationId)
{
    public static InsertMessage Read(ref PgReader reader, bool streamed, TupleData newRow)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var relationId = reader.ReadUInt32();
        var marker = reader.ReadByte();
        if (marker != (byte)'N')
        {
            throw reader.Error($"expected 'N' before the new tuple, found 0x{marker:X2}");
        }

        TupleDataReader.Read(ref reader, newRow);
        reader.ExpectEnd();
        return new InsertMessage(xid, relationId);
    }
}
