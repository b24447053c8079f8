using Npgsql;

namespace Cdc.Listener.Backfill;

/// <summary>
/// The unique, not-null key a table is read by in chunks: its primary key, else its replica identity index; null when
/// it has neither, and the table is read in ctid ranges instead. Columns in index order, with their SQL type names for
/// the literals of the next chunk's lower bound.
/// </summary>
internal sealed record TableKey(IReadOnlyList<string> Columns, IReadOnlyList<string> SqlTypes)
{
    private const string Sql = """
        WITH idx AS (
            SELECT indkey FROM pg_index
            WHERE indrelid = $1 AND (indisprimary OR indisreplident)
            ORDER BY indisprimary DESC LIMIT 1)
        SELECT a.attname, format_type(a.atttypid, a.atttypmod)
        FROM idx, unnest(idx.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = $1 AND a.attnum = k.attnum
        ORDER BY k.ord
        """;

    public static async Task<TableKey?> ReadAsync(NpgsqlConnection conn, uint relationId, CancellationToken cancellationToken)
    {
        var columns = new List<string>();
        var types = new List<string>();
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, relationId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            columns.Add(reader.GetString(0));
            types.Add(reader.GetString(1));
        }

        return columns.Count == 0 ? null : new TableKey(columns, types);
    }
}
