using System.Globalization;
using System.Text;
using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using Cdc.Listener.Source;
using Cdc.Listener.Snapshot;
using Npgsql;
using Cdc.Listener.Backfill.Window;

namespace Cdc.Listener.Backfill;

/// <summary>
/// Reads one backfill chunk in one REPEATABLE READ READ ONLY transaction (so the predicate can change nothing): with a
/// key, the next <c>rows</c> keys after the last acknowledged one (in text form, for the window keys and the next
/// lower bound), then those rows by binary COPY between the first and last key; without a key, the rows of the next
/// page range by ctid (a TID range scan on PostgreSQL 14+). Each row is encoded as an <c>OPERATION_READ</c> event.
/// </summary>
internal sealed class ChunkReader(ChangeEventEncoder encoder, string database, bool binaryKeys, long maxChunkBytes)
{
    public async Task ReadAsync(NpgsqlConnection conn, BackfillChunk chunk, TableKey? key, BackfillJob job, string? rowFilter, int rows, CancellationToken cancellationToken)
    {
        await ExecuteAsync(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", cancellationToken).ConfigureAwait(false);
        try
        {
            if (key is null)
            {
                await ReadPagesAsync(conn, chunk, job, Filter(job, rowFilter), rows, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ReadKeysAsync(conn, chunk, key, job, Filter(job, rowFilter), rows, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await ExecuteAsync(conn, "COMMIT", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadKeysAsync(NpgsqlConnection conn, BackfillChunk chunk, TableKey key, BackfillJob job, string filter, int rows, CancellationToken cancellationToken)
    {
        var relation = chunk.Relation;
        var table = Table(relation);
        // Qualified: in the key query an output column named like the key column (its ::text form) would otherwise be
        // what ORDER BY sorts by, in text order.
        var keyList = string.Join(", ", key.Columns.Select(c => "t." + SourceSetup.Quote(c)));
        var after = job.LastKey is { } last ? $"({keyList}) > ({Literals(last, key)})" : "true";
        var keys = new List<string[]>(rows);
        await using (var cmd = new NpgsqlCommand(
            $"SELECT {string.Join(", ", key.Columns.Select(c => "t." + SourceSetup.Quote(c) + "::text"))} FROM {table} AS t WHERE {after}{filter} ORDER BY {keyList} LIMIT {rows.ToString(CultureInfo.InvariantCulture)}", conn))
        {
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = new string[key.Columns.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = reader.GetString(i);
                }

                keys.Add(values);
            }
        }

        chunk.IsLast = keys.Count < rows;
        chunk.LastKey = keys.Count > 0 ? keys[^1] : job.LastKey;
        if (keys.Count == 0)
        {
            return;
        }

        var range = $"({keyList}) >= ({Literals(keys[0], key)}) AND ({keyList}) <= ({Literals(keys[^1], key)})";
        var positions = WindowKey.Positions(relation, key.Columns)
            ?? throw new BackfillException($"the key columns of {relation} are not among its published columns");
        var index = 0;
        var read = await CopyAsync(conn, chunk, $"{range}{filter} ORDER BY {keyList}", row =>
        {
            if (index >= keys.Count)
            {
                throw new BackfillException($"the chunk of {relation} read more rows than keys in the same snapshot");
            }

            return binaryKeys ? WindowKey.Of(row, positions) : WindowKey.OfText(keys[index++]);
        }, cancellationToken).ConfigureAwait(false);
        if (read != keys.Count)
        {
            throw new BackfillException($"the chunk of {relation} read {read} rows for {keys.Count} keys in the same snapshot");
        }

        if (chunk.Count < keys.Count)
        {
            // Large rows: the chunk stopped at its byte bound; the next one starts after the last row it kept.
            chunk.IsLast = false;
            chunk.LastKey = keys[chunk.Count - 1];
        }
    }

    private async Task ReadPagesAsync(NpgsqlConnection conn, BackfillChunk chunk, BackfillJob job, string filter, int rows, CancellationToken cancellationToken)
    {
        long pages;
        double rowsPerPage;
        await using (var cmd = new NpgsqlCommand(
            "SELECT pg_relation_size($1::oid) / current_setting('block_size')::bigint, CASE WHEN relpages > 0 AND reltuples > 0 THEN reltuples / relpages ELSE 0 END FROM pg_class WHERE oid = $1::oid", conn))
        {
            cmd.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Oid, chunk.Relation.Id);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new BackfillException($"the table {chunk.Relation} is gone");
            }

            pages = reader.GetInt64(0);
            rowsPerPage = reader.GetDouble(1);
        }

        var from = job.NextPage;
        var span = rowsPerPage > 0 ? Math.Max(1, (long)(rows / rowsPerPage)) : Math.Max(1, pages - from);
        var to = Math.Min(from + span, uint.MaxValue);
        chunk.NextPage = to;
        chunk.IsLast = to >= pages;
        var range = string.Create(CultureInfo.InvariantCulture, $"ctid >= '({from},0)'::tid AND ctid < '({to},0)'::tid");
        await CopyAsync(conn, chunk, range + filter, _ => null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> CopyAsync(NpgsqlConnection conn, BackfillChunk chunk, string whereAndOrder, Func<TupleData, string?> keyOf, CancellationToken cancellationToken)
    {
        var relation = chunk.Relation;
        var row = new SnapshotRow(relation, new Lsn(chunk.LowLsn));
        var columns = string.Join(", ", relation.Columns.Select(c => SourceSetup.Quote(c.Name)));
        var statement = $"COPY (SELECT {columns} FROM {Table(relation)} AS t WHERE {whereAndOrder}) TO STDOUT (FORMAT binary)";
        var index = 0;
        return await TableCopyReader.ReadAsync(conn, statement, row, r =>
        {
            var key = keyOf(r.Values);
            if (chunk.Count > 0 && chunk.WrittenCount >= maxChunkBytes && key is not null)
            {
                return ValueTask.CompletedTask; // over the bound: left for the next chunk (key-ordered reads only)
            }

            var start = chunk.WrittenCount;
            encoder.Encode(r.AsChange(index++), database, chunk.Writer);
            chunk.AddRow(start, key);
            return ValueTask.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The request's predicate and the publication's row filter (PostgreSQL 15+): only rows the stream would publish.</summary>
    private static string Filter(BackfillJob job, string? rowFilter)
        => (job.Where is null ? string.Empty : $" AND ({job.Where})") + (rowFilter is null ? string.Empty : $" AND ({rowFilter})");

    private static string Table(RelationInfo relation) => SourceSetup.Quote(relation.Namespace) + "." + SourceSetup.Quote(relation.Name);

    /// <summary>Key values as typed literals: E'...' escapes quotes and backslashes whatever standard_conforming_strings says.</summary>
    internal static string Literals(IReadOnlyList<string> values, TableKey key)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append("E'").Append(values[i].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal))
                .Append("'::").Append(key.SqlTypes[i]);
        }

        return builder.ToString();
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
