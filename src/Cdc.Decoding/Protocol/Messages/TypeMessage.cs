namespace Cdc.Decoding.Protocol.Messages;

/// <summary><c>Y</c>: [xid], Int32 type oid, String namespace, String name. Sent for non-built-in column types before the Relation.</summary>
internal readonly record struct TypeMessage(uint Xid, uint TypeOid, string Namespace, string Name)
{
    public static TypeMessage Read(ref PgReader reader, bool streamed)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var message = new TypeMessage(xid, reader.ReadUInt32(), reader.ReadString(), reader.ReadString());
        reader.ExpectEnd();
        return new TypeMessage(message.Xid, message.TypeOid, message.Namespace.Length == 0 ? "pg_catalog" : message.Namespace, message.Name);
    }
}
