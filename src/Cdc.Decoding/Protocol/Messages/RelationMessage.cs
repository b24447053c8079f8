namespace Cdc.Decoding.Protocol.Messages;

/// <summary>One column of a Relation message.</summary>
internal readonly record struct RelationColumn(byte Flags, string Name, uint TypeOid, int TypeModifier)
{
    public bool IsKey => (Flags & 1) != 0;
}

/// <summary>
/// <c>R</c>: [xid], Int32 relid, String namespace ("" = pg_catalog), String relname, Int8 replica identity,
/// Int16 ncols, then per column Int8 flags, String name, Int32 type oid, Int32 typmod.
/// </summary>
internal sealed record RelationMessage(uint Xid, uint RelationId, string Namespace, string Name, ReplicaIdentity ReplicaIdentity, RelationColumn[] Columns)
{
    /// <summary>The smallest encoding of a column: flags, an empty name's NUL, oid, typmod.</summary>
    private const int MinColumnBytes = 10;

    public static RelationMessage Read(ref PgReader reader, bool streamed)
    {
        reader.ReadByte();
        var xid = streamed ? reader.ReadUInt32() : 0;
        var relationId = reader.ReadUInt32();
        var ns = reader.ReadString();
        var name = reader.ReadString();
        var identity = reader.ReadByte();
        if (identity is not ((byte)'d' or (byte)'n' or (byte)'f' or (byte)'i'))
        {
            throw reader.Error($"unknown replica identity 0x{identity:X2}");
        }

        var count = reader.ReadInt16();
        if (count < 0 || count > reader.Options.MaxColumns || (long)count * MinColumnBytes > reader.Remaining)
        {
            throw reader.Error($"column count {count} is negative, above the cap {reader.Options.MaxColumns} or more than the bytes left allow");
        }

        var columns = new RelationColumn[count];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = new RelationColumn(reader.ReadByte(), reader.ReadString(), reader.ReadUInt32(), reader.ReadInt32());
        }

        reader.ExpectEnd();
        return new RelationMessage(xid, relationId, ns.Length == 0 ? "pg_catalog" : ns, name, (ReplicaIdentity)identity, columns);
    }
}
