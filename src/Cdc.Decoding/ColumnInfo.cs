namespace Cdc.Decoding;

/// <summary>One column of a published relation, from a Relation message. Immutable and shared: cache it freely.</summary>
public sealed class ColumnInfo
{
    public ColumnInfo(string name, uint typeOid, string typeName, int typeModifier, bool isKey, PgTypeInfo? customType = null)
    {
        Name = name;
        TypeOid = typeOid;
        TypeName = typeName;
        TypeModifier = typeModifier;
        IsKey = isKey;
        CustomType = customType;
    }

    public string Name { get; }

    public uint TypeOid { get; }

    /// <summary>The type's name: built-in names (e.g. <c>int4</c>), a Type message's name, or the resolver's; <c>oid:N</c> when unknown.</summary>
    public string TypeName { get; }

    /// <summary>atttypmod, -1 when none.</summary>
    public int TypeModifier { get; }

    /// <summary>Part of the replica identity (primary key or index).</summary>
    public bool IsKey { get; }

    /// <summary>What the <see cref="ITypeResolver"/> said about a type that is not built in; null for built-in types.</summary>
    public PgTypeInfo? CustomType { get; }

    public override string ToString() => $"{Name} {TypeName}{(IsKey ? " key" : string.Empty)}";
}
