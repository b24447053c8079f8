using Cdc.Decoding;
using Npgsql;

namespace Cdc.Listener.Outbox;

/// <summary>
/// An outbox table as the catalog describes it, before any Relation message arrives (start-up clean-up, <c>cdc check</c>):
/// its columns in table order with their type names and primary-key flags, as a <see cref="RelationInfo"/> that
/// <see cref="OutboxTable.Recognise"/> takes.
/// </summary>
internal static class OutboxCatalog
{
    private const string Sql = """
        SELECT c.oid, n.nspname, c.relname, c.relreplident::text, a.attname, a.atttypid, t.typname, a.atttypmod,
               EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary AND a.attnum = ANY (i.indkey))
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_type t ON t.oid = a.atttypid
        WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
        ORDER BY a.attnum
        """;

    /// <summary>The table named <paramref name="qualifiedName"/> (<c>schema.table</c>); null when there is none.</summary>
    public static async Task<RelationInfo?> ReadAsync(NpgsqlConnection connection, string qualifiedName, CancellationToken cancellationToken)
    {
        var dot = qualifiedName.IndexOf('.', StringComparison.Ordinal);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue(qualifiedName[..dot]);
        command.Parameters.AddWithValue(qualifiedName[(dot + 1)..]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var columns = new List<ColumnInfo>();
        (uint Oid, string Schema, string Name, char Identity)? table = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            table ??= (reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0]);
            columns.Add(new ColumnInfo(reader.GetString(4), reader.GetFieldValue<uint>(5), reader.GetString(6), reader.GetInt32(7), reader.GetBoolean(8)));
        }

        return table is { } t ? new RelationInfo(t.Oid, t.Schema, t.Name, (ReplicaIdentity)(byte)t.Identity, columns) : null;
    }
}
