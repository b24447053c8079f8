using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using Npgsql;

namespace Cdc.Listener.Snapshot;

/// <summary>
/// The tables the stream publications publish, with their columns as pgoutput describes them: in table order, without
/// dropped or generated columns, the replica identity columns flagged as key (every column under REPLICA IDENTITY FULL).
/// Read inside the snapshot's transaction, so the shapes are those of the snapshot.
/// </summary>
internal static class PublishedTables
{
    private const string Sql = """
        SELECT c.oid, n.nspname, c.relname, c.relreplident::text, a.attname, a.atttypid, a.atttypmod,
               c.relreplident = 'f' OR EXISTS (
                   SELECT 1 FROM pg_index i
                   WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey)
                     AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident)))
        FROM (SELECT DISTINCT schemaname, tablename FROM pg_publication_tables WHERE pubname = ANY ($1)) pt
        JOIN pg_namespace n ON n.nspname = pt.schemaname
        JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY n.nspname, c.relname, a.attnum
        """;

    public static async Task<IReadOnlyList<RelationInfo>> ReadAsync(NpgsqlConnection conn, IReadOnlyList<string> publications, ITypeResolver? types, CancellationToken cancellationToken)
    {
        var rows = new List<(uint Oid, string Schema, string Table, char Identity, SnapshotRelation.Column Column)>();
        await using (var cmd = new NpgsqlCommand(Sql, conn))
        {
            cmd.Parameters.AddWithValue(publications.ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0],
                    new SnapshotRelation.Column(reader.GetString(4), reader.GetFieldValue<uint>(5), reader.GetInt32(6), reader.GetBoolean(7))));
            }
        }

        // Type lookups query the catalog on their own connection: only after this reader is done.
        var tables = new List<RelationInfo>();
        foreach (var table in rows.GroupBy(r => r.Oid))
        {
            var first = table.First();
            tables.Add(SnapshotRelation.Build(first.Oid, first.Schema, first.Table, (ReplicaIdentity)(byte)first.Identity,
                table.Select(r => r.Column).ToList(), types));
        }

        return tables;
    }
}
