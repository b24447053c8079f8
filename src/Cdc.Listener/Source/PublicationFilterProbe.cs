using Cdc.Listener.Configuration;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>The columns and row filter a publication holds for one table, as PostgreSQL stores them (pg_publication_tables).</summary>
internal sealed record PublishedShape(IReadOnlyList<string> Columns, string? RowFilter)
{
    public bool SameAs(PublishedShape other)
        => Columns.Order(StringComparer.Ordinal).SequenceEqual(other.Columns.Order(StringComparer.Ordinal), StringComparer.Ordinal)
            && string.Equals(RowFilter, other.RowFilter, StringComparison.Ordinal);

    public override string ToString() => $"({string.Join(", ", Columns)})" + (RowFilter is null ? " every row" : " WHERE " + RowFilter);
}

/// <summary>A filtered table's entry in a publication: its FOR TABLE text, one of its columns (quoted), whether updates and deletes are published.</summary>
internal sealed record FilteredEntry(TableFilter Filter, string Quoted, string Entry, string QuotedColumn, bool AllOperations);

/// <summary>
/// Asks PostgreSQL, changing nothing, what <see cref="PublicationFilters"/> mean: each filtered table's entry is put in a
/// publication of its own inside a transaction that is rolled back. That checks the condition's syntax and columns
/// (one line naming the setting when PostgreSQL refuses it), reads back the shape PostgreSQL stores (its own spelling
/// of the condition, to compare with a publication that exists), and for a table whose updates and deletes are
/// published makes sure the application's UPDATE and DELETE still work: a row filter on a column outside the replica
/// identity, or a column list without it, would make them fail (PostgreSQL checks when they run, not at CREATE).
/// </summary>
internal static class PublicationFilterProbe
{
    private const string ProbePrefix = "cdc_filter_probe_";

    public static async Task<IReadOnlyDictionary<string, PublishedShape>> ShapesAsync(
        NpgsqlConnection conn, IReadOnlyList<FilteredEntry> entries, CancellationToken cancellationToken)
    {
        await using var transaction = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < entries.Count; i++)
        {
            var (filter, _, entry, _, allOperations) = entries[i];
            var publish = allOperations ? string.Empty : " WITH (publish = 'insert, truncate')";
            await RunAsync(conn, transaction, $"CREATE PUBLICATION {ProbePrefix}{i} FOR TABLE {entry}{publish}", e => new CdcConfigurationException(
                $"{Keys(filter)} for {filter.QualifiedName}: PostgreSQL refuses FOR TABLE {entry}: {e.MessageText}"), cancellationToken).ConfigureAwait(false);
        }

        foreach (var (filter, quoted, _, column, _) in entries.Where(e => e.AllOperations))
        {
            foreach (var statement in new[] { $"EXPLAIN UPDATE {quoted} SET {column} = DEFAULT", $"EXPLAIN DELETE FROM {quoted}" })
            {
                await RunAsync(conn, transaction, statement, e => e.SqlState == PostgresErrorCodes.InvalidColumnReference
                    ? new CdcConfigurationException(
                        $"{Keys(filter)} for {filter.QualifiedName} would make the application's UPDATE and DELETE on it fail ({e.MessageText}: {e.Detail}): {filter.CoverageHint}")
                    : null, cancellationToken).ConfigureAwait(false);
            }
        }

        var shapes = await ReadAsync(conn, transaction, [.. Enumerable.Range(0, entries.Count).Select(i => ProbePrefix + i)], cancellationToken).ConfigureAwait(false);
        await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        return shapes;
    }

    /// <summary>The shapes of the tables in the given publications, by schema.table.</summary>
    public static async Task<Dictionary<string, PublishedShape>> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction? transaction, string[] publications, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT schemaname || '.' || tablename, attnames::text[], rowfilter FROM pg_publication_tables WHERE pubname = ANY($1)", conn, transaction);
        cmd.Parameters.AddWithValue(publications);
        var shapes = new Dictionary<string, PublishedShape>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            shapes[reader.GetString(0)] = new PublishedShape(reader.GetFieldValue<string[]>(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return shapes;
    }

    private static async Task RunAsync(NpgsqlConnection conn, NpgsqlTransaction transaction, string sql, Func<PostgresException, Exception?> refusal, CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = new NpgsqlCommand(sql, conn, transaction);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (!e.IsTransient && refusal(e) is { } exception)
        {
            throw exception;
        }
    }

    private static string Keys(TableFilter filter)
        => (filter.Excluded.Count > 0, filter.RowFilter is not null) switch
        {
            (true, true) => $"{PublicationFilters.ExcludeColumnsKey} and {PublicationFilters.RowFiltersKey}",
            (true, false) => PublicationFilters.ExcludeColumnsKey,
            _ => PublicationFilters.RowFiltersKey,
        };
}
