using Cdc.Decoding.Values;

namespace Cdc.Decoding.Snapshot;

/// <summary>
/// A table's shape as read from the catalog for a snapshot, described as pgoutput's Relation message describes it
/// (the same type names and custom type lookups as <see cref="ChangeDecoder"/>), so read rows and streamed changes
/// carry identical columns.
/// </summary>
public static class SnapshotRelation
{
    /// <summary>One column in table order.</summary>
    public readonly record struct Column(string Name, uint TypeOid, int TypeModifier, bool IsKey);

    public static RelationInfo Build(uint relationId, string @namespace, string name, ReplicaIdentity replicaIdentity, IReadOnlyList<Column> columns, ITypeResolver? types)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var infos = new ColumnInfo[columns.Count];
        for (var i = 0; i < infos.Length; i++)
        {
            var column = columns[i];
            string typeName;
            PgTypeInfo? custom = null;
            if (BuiltinTypes.TryGet(column.TypeOid, out var builtin))
            {
                typeName = builtin.Name;
            }
            else
            {
                custom = types?.Resolve(column.TypeOid);
                typeName = custom?.Name ?? $"oid:{column.TypeOid}";
            }

            infos[i] = new ColumnInfo(column.Name, column.TypeOid, typeName, column.TypeModifier, column.IsKey, custom);
        }

        return new RelationInfo(relationId, @namespace, name, replicaIdentity, infos);
    }
}
