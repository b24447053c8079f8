using System.IO.Pipelines;
using Cdc.Decoding;
using Cdc.Decoding.Snapshot;
using Cdc.Listener.Source;
using Npgsql;

namespace Cdc.Listener.Snapshot;

/// <summary>
/// Reads one table with <c>COPY (SELECT columns FROM table) TO STDOUT (FORMAT binary)</c> on a connection whose
/// transaction imported the exported snapshot; each row is handed over in binary send format, the format pgoutput's
/// binary mode sends, so the value conversion is the streamed one.
/// </summary>
internal static class TableCopyReader
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>The COPY statement: the columns by name in table order, as the relation lists them; the rows the publication's filter keeps.</summary>
    internal static string CopyStatement(RelationInfo relation, string? rowFilter)
        => $"COPY (SELECT {string.Join(", ", relation.Columns.Select(c => SourceSetup.Quote(c.Name)))} FROM "
            + $"{SourceSetup.Quote(relation.Namespace)}.{SourceSetup.Quote(relation.Name)}"
            + (rowFilter is null ? string.Empty : $" WHERE ({rowFilter})")
            + ") TO STDOUT (FORMAT binary)";

    /// <summary>Calls <paramref name="onRow"/> for every row, in the order read; returns the row count.</summary>
    public static Task<long> ReadAsync(NpgsqlConnection conn, SnapshotRow row, string? rowFilter, Func<SnapshotRow, ValueTask> onRow, CancellationToken cancellationToken)
        => ReadAsync(conn, CopyStatement(row.Relation, rowFilter), row, onRow, cancellationToken);

    /// <summary>Calls <paramref name="onRow"/> for every row of a binary COPY of <paramref name="row"/>'s columns in table order.</summary>
    public static async Task<long> ReadAsync(NpgsqlConnection conn, string copyStatement, SnapshotRow row, Func<SnapshotRow, ValueTask> onRow, CancellationToken cancellationToken)
    {
        var parser = new CopyBinaryRows();
        var copy = await conn.BeginRawBinaryCopyAsync(copyStatement, cancellationToken).ConfigureAwait(false);
        await using (copy.ConfigureAwait(false))
        {
            var reader = PipeReader.Create(copy, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, minimumReadSize: ReadBufferSize / 4, leaveOpen: true));
            long rows = 0;
            try
            {
                while (!parser.IsComplete)
                {
                    var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    var buffer = result.Buffer;
                    var consumed = buffer.Start;
                    try
                    {
                        while (parser.TryReadRow(buffer.Slice(consumed), row, out consumed))
                        {
                            await onRow(row).ConfigureAwait(false);
                            rows++;
                        }
                    }
                    finally
                    {
                        reader.AdvanceTo(consumed, buffer.End);
                    }

                    if (result.IsCompleted && !parser.IsComplete)
                    {
                        throw new PgOutputException($"The binary COPY of {row.Relation} ended after {rows} rows without its trailer.");
                    }
                }

                return rows;
            }
            finally
            {
                await reader.CompleteAsync().ConfigureAwait(false);
            }
        }
    }
}
