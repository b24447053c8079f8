using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using System.Globalization;
using Npgsql;

namespace Cdc.Listener.Snapshot;

/// <summary>
/// The tables the stream publications publish, with their columns as pgoutput describes them: in table order, without
/// dropped or generated columns, the replica identity columns flagged as key (every column under REPLICA IDENTITY FULL).
/// From PostgreSQL 15 a publication may list some columns only and filter rows (Cdc:ExcludeColumns, Cdc:RowFilters):
/// the snapshot reads those columns and rows only, as pgoutput sends them. Read inside the snapshot's transaction, so
/// the shapes are those of the snapshot.
/// </summary>
internal static class PublishedTables
{
    private const string Sql = """
        SELECT c.oid, n.nspname, c.relname, c.relreplident::text, a.attname, a.atttypid, a.atttypmod,
               c.relreplident = 'f' OR EXISTS (
                   SELECT 1 FROM pg_index i
                   WHERE i.indrelid = c.oid AND a.attnum = ANY (i.indkey)
                     AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))),
               pt.rowfilter
        FROM ({0}) pt
        JOIN pg_namespace n ON n.nspname = pt.schemaname
        JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                           AND (pt.attnames IS NULL OR a.attname = ANY (pt.attnames))
        ORDER BY n.nspname, c.relname, a.attnum
        """;

    /// <summary>PostgreSQL 15+: each table once, with the columns and the row filter the publication keeps.</summary>
    private const string FilteredTables =
        "SELECT DISTINCT ON (schemaname, tablename) schemaname, tablename, attnames, rowfilter FROM pg_publication_tables WHERE pubname = ANY ($1) ORDER BY schemaname, tablename";

    private const string WholeTables =
        "SELECT DISTINCT schemaname, tablename, NULL::name[] AS attnames, NULL::text AS rowfilter FROM pg_publication_tables WHERE pubname = ANY ($1)";

    public static async Task<IReadOnlyList<PublishedTable>> ReadAsync(
        NpgsqlConnection conn, IReadOnlyList<string> publications, int serverVersionNum, ITypeResolver? types, CancellationToken cancellationToken)
    {
        var rows = new List<(uint Oid, string Schema, string Table, char Identity, SnapshotRelation.Column Column, string? RowFilter)>();
        var sql = string.Format(CultureInfo.InvariantCulture, Sql, serverVersionNum >= 150000 ? FilteredTables : WholeTables);
        await using (var cmd = new NpgsqlCommand(sql, conn))
        {
            cmd.Parameters.AddWithValue(publications.ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetFieldValue<uint>(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)[0],
                    new SnapshotRelation.Column(reader.GetString(4), reader.GetFieldValue<uint>(5), reader.GetInt32(6), reader.GetBoolean(7)),
                    reader.IsDBNull(8) ? null : reader.GetString(8)));
            }
        }

        // Type lookups query the catalog on their own connection: only after this reader is done.
        var tables = new List<PublishedTable>();
        foreach (var table in rows.GroupBy(r => r.Oid))
        {
            var first = table.First();
            tables.Add(new PublishedTable(
                SnapshotRelation.Build(first.Oid, first.Schema, first.Table, (ReplicaIdentity)(byte)first.Identity, table.Select(r => r.Column).ToList(), types),
                first.RowFilter));
        }

        return tables;
    }
}

/// <summary>A published table: its columns as pgoutput sends them, and the publication's row filter (PostgreSQL 15+; null: every row).</summary>
internal sealed record PublishedTable(RelationInfo Relation, string? RowFilter);
