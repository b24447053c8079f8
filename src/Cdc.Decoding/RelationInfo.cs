namespace Cdc.Decoding;

/// <summary>A published table as described by its latest Relation message. Immutable: a new R creates a new instance.</summary>
public sealed class RelationInfo
{
    public RelationInfo(uint id, string @namespace, string name, ReplicaIdentity replicaIdentity, IReadOnlyList<ColumnInfo> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        Id = id;
        Namespace = @namespace;
        Name = name;
        ReplicaIdentity = replicaIdentity;
        Columns = columns;
        var keys = new List<string>();
        foreach (var column in columns)
        {
            if (column.IsKey)
            {
                keys.Add(column.Name);
            }
        }

        KeyColumnNames = keys;
    }

    /// <summary>The relation OID (relid).</summary>
    public uint Id { get; }

    /// <summary>Schema name; pgoutput sends "" for pg_catalog, reported here as <c>pg_catalog</c>.</summary>
    public string Namespace { get; }

    public string Name { get; }

    public ReplicaIdentity ReplicaIdentity { get; }

    public IReadOnlyList<ColumnInfo> Columns { get; }

    /// <summary>Names of the replica identity columns, in column order.</summary>
    public IReadOnlyList<string> KeyColumnNames { get; }

    /// <summary>
    /// The encoder's per-relation cache (<see cref="Values.RelationEncoding"/>). Not part of the relation's
    /// description: a new Relation message makes a new instance, which starts without one.
    /// </summary>
    internal Values.RelationEncoding? EncoderCache { get; set; }

    public override string ToString() => $"{Namespace}.{Name} ({Id})";
}
