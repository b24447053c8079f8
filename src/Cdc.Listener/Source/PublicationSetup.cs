using System.Text;
using Cdc.Listener.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdc.Listener.Source;

/// <summary>
/// The publications Cdc creates when Cdc:Publication does not exist. A table without a primary key or replica
/// identity in a publication that publishes updates or deletes makes the application's UPDATE and DELETE on it fail
/// ("cannot update table ... because it does not have a replica identity"), so Cdc never puts one there: the tables
/// with a key go into <c>name</c> (every operation), the others into <c>name_inserts</c> with
/// <c>publish = 'insert, truncate'</c>. Both list their tables (FOR TABLE), never FOR ALL TABLES, which would also
/// break the application on every keyless table created later. A publication that exists is used as it is.
/// </summary>
internal sealed class PublicationSetup(CdcOptions options, ILogger logger)
{
    public const string InsertsSuffix = "_inserts";

    /// <summary>The comment on a publication Cdc created: Cdc then knows every table belongs in it or its companion.</summary>
    public const string CreatedByCdc = "created by cdc";

    /// <summary>PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes); a longer name would be cut silently.</summary>
    private const int MaxIdentifierBytes = 63;

    private const string TablesSql = """
        SELECT n.nspname, c.relname,
               c.relreplident = 'f'
                 OR (c.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident))
                 OR (c.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)),
               pg_has_role(c.relowner, 'USAGE')
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relpersistence = 'p'
          AND (CASE WHEN $1 THEN c.relkind IN ('r', 'p') AND NOT c.relispartition ELSE c.relkind = 'r' END)
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
        ORDER BY 1, 2
        """;

    /// <summary>The columns pgoutput sends (no dropped or generated ones), in table order, of the tables named in $1.</summary>
    private const string ColumnsSql = """
        SELECT n.nspname || '.' || c.relname, a.attname
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
        WHERE n.nspname || '.' || c.relname = ANY($1)
        ORDER BY 1, a.attnum
        """;

    /// <summary>Read-only: what exists, and what a creation would list; refuses (creating nothing) what could not be created.</summary>
    public async Task<PublicationPlan> PlanAsync(NpgsqlConnection conn, int serverVersionNum, CancellationToken cancellationToken)
    {
        var name = options.Publication;
        var inserts = name + InsertsSuffix;
        var filters = PublicationFilters.From(options);
        if (!filters.IsEmpty && serverVersionNum < PublicationFilters.MinimumServerVersionNum)
        {
            throw new CdcConfigurationException(
                $"{filters.SettingNames} need PostgreSQL 15 or later (column lists and row filters of publications), and this server is {serverVersionNum / 10000}: remove them, or filter in the consumers");
        }

        var existing = await ExistingAsync(conn, [name, inserts], cancellationToken).ConfigureAwait(false);
        if (existing.Contains(name))
        {
            if (!filters.IsEmpty)
            {
                await VerifyFiltersAsync(conn, name, inserts, filters, await TablesAsync(conn, serverVersionNum, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }

            var uncovered = await UncoveredTablesAsync(conn, name, serverVersionNum, cancellationToken).ConfigureAwait(false);
            return new PublicationPlan(name, inserts, Exists: true, existing.Contains(inserts), [], []) { Uncovered = uncovered };
        }

        var tables = SelectTables(await TablesAsync(conn, serverVersionNum, cancellationToken).ConfigureAwait(false));
        var keyed = tables.Where(t => t.Keyed).ToList();
        var keyless = tables.Where(t => !t.Keyed).ToList();
        var entries = filters.IsEmpty
            ? new Dictionary<string, FilteredEntry>(StringComparer.Ordinal)
            : await FilteredEntriesAsync(conn, filters, tables, "the publication Cdc creates does not list it (Cdc:Tables, or a table that is missing, temporary or unlogged)", cancellationToken).ConfigureAwait(false);
        var entryTexts = entries.ToDictionary(e => e.Key, e => e.Value.Entry, StringComparer.Ordinal);
        var createSql = keyed.Count + keyless.Count <= 6
            ? CreateStatements(name, inserts, keyed, keyless, serverVersionNum, entryTexts)
            : $"CREATE PUBLICATION {SourceSetup.Quote(name)} FOR TABLE <the {keyed.Count} tables with a key>; CREATE PUBLICATION {SourceSetup.Quote(inserts)} FOR TABLE <the {keyless.Count} without one> WITH (publish = 'insert, truncate'); (cdc check lists them)";
        if (!options.CreatePublication)
        {
            throw new ReplicationSetupException(
                $"publication '{name}' does not exist and Cdc:CreatePublication is false: create it, e.g. {createSql}");
        }

        if (keyless.Count > 0 && Encoding.UTF8.GetByteCount(inserts) > MaxIdentifierBytes)
        {
            throw new CdcConfigurationException(
                $"Cdc:Publication = '{name}' is too long for its inserts-only companion '{inserts}' (at most {MaxIdentifierBytes} bytes): choose a shorter name");
        }

        await using (var cmd = new NpgsqlCommand("SELECT has_database_privilege(current_database(), 'CREATE'), current_user, current_database()", conn))
        {
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!reader.GetBoolean(0))
            {
                throw new ReplicationSetupException(
                    $"role '{reader.GetString(1)}' may not create publication '{name}': GRANT CREATE ON DATABASE {SourceSetup.Quote(reader.GetString(2))} TO {SourceSetup.Quote(reader.GetString(1))}; or create it yourself: {createSql}");
            }
        }

        var foreign = tables.Where(t => !t.Owned).Select(t => t.QualifiedName).ToList();
        if (foreign.Count > 0)
        {
            throw new ReplicationSetupException(
                $"cannot create publication '{name}': a publication may only list tables its creator owns, and the role does not own {Shorten(foreign)}: "
                + $"run the first start as their owner, or have the owner create it: {createSql}");
        }

        if (entries.Count > 0)
        {
            // Refuses, changing nothing, a condition PostgreSQL rejects or filters that would break the application's writes.
            await PublicationFilterProbe.ShapesAsync(conn, [.. entries.Values], cancellationToken).ConfigureAwait(false);
        }

        return new PublicationPlan(name, inserts, Exists: false, existing.Contains(inserts), keyed, keyless) { Entries = entryTexts };
    }

    /// <summary>
    /// A publication that exists is used as it is, but not when it does not do what the filters say: columns the
    /// settings leave out would be published, or rows they filter out.
    /// </summary>
    private static async Task VerifyFiltersAsync(NpgsqlConnection conn, string name, string inserts, PublicationFilters filters, List<PublishableTable> tables, CancellationToken cancellationToken)
    {
        var entries = await FilteredEntriesAsync(conn, filters, tables, "no such table", cancellationToken).ConfigureAwait(false);
        var wanted = await PublicationFilterProbe.ShapesAsync(conn, [.. entries.Values], cancellationToken).ConfigureAwait(false);
        var actual = await PublicationFilterProbe.ReadAsync(conn, null, [name, inserts], cancellationToken).ConfigureAwait(false);
        var differences = new List<string>();
        var fixes = new List<string>();
        foreach (var (table, entry) in entries)
        {
            var want = wanted[table];
            if (!actual.TryGetValue(table, out var have))
            {
                differences.Add($"{table} is not in it");
                fixes.Add($"ALTER PUBLICATION {SourceSetup.Quote(name)} ADD TABLE {entry.Entry};");
            }
            else if (!have.SameAs(want))
            {
                differences.Add($"{table} publishes {have}, the settings {want}");
                fixes.Add($"ALTER PUBLICATION {SourceSetup.Quote(name)} DROP TABLE {entry.Quoted}; ALTER PUBLICATION {SourceSetup.Quote(name)} ADD TABLE {entry.Entry};");
            }
        }

        if (differences.Count > 0)
        {
            throw new ReplicationSetupException(
                $"publication '{name}' exists and differs from {filters.SettingNames}: {string.Join("; ", differences)}. Change it ({string.Join(" ", fixes)}) or drop it so that cdc creates it");
        }
    }

    /// <summary>Each filtered table's FOR TABLE entry, by schema.table; refuses a filter on a table not in <paramref name="tables"/>.</summary>
    private static async Task<Dictionary<string, FilteredEntry>> FilteredEntriesAsync(
        NpgsqlConnection conn, PublicationFilters filters, List<PublishableTable> tables, string whyMissing, CancellationToken cancellationToken)
    {
        var byName = tables.ToDictionary(t => t.QualifiedName, StringComparer.Ordinal);
        var columns = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(ColumnsSql, conn))
        {
            cmd.Parameters.AddWithValue(filters.Tables.Select(f => f.QualifiedName).ToArray());
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var table = reader.GetString(0);
                if (!columns.TryGetValue(table, out var list))
                {
                    columns[table] = list = [];
                }

                list.Add(reader.GetString(1));
            }
        }

        var entries = new Dictionary<string, FilteredEntry>(StringComparer.Ordinal);
        foreach (var filter in filters.Tables)
        {
            if (!byName.TryGetValue(filter.QualifiedName, out var table) || !columns.TryGetValue(filter.QualifiedName, out var tableColumns))
            {
                var key = filter.Excluded.Count > 0 ? PublicationFilters.ExcludeColumnsKey : PublicationFilters.RowFiltersKey;
                throw new CdcConfigurationException($"{key}:{filter.QualifiedName} names a table cdc cannot filter: {whyMissing}");
            }

            entries[filter.QualifiedName] = new FilteredEntry(filter, table.Quoted, filter.Entry(table.Quoted, tableColumns), SourceSetup.Quote(tableColumns[0]), table.Keyed);
        }

        return entries;
    }

    /// <summary>Creates the planned publications in one transaction; says what it did, one line per table without a key.</summary>
    public async Task<bool> CreateAsync(NpgsqlConnection conn, PublicationPlan plan, int serverVersionNum, CancellationToken cancellationToken)
    {
        if (!plan.Creates)
        {
            return false;
        }

        var keyless = plan.InsertsExists ? [] : plan.Keyless;
        try
        {
            await using var transaction = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var comment = $" COMMENT ON PUBLICATION {SourceSetup.Quote(plan.Name)} IS '{CreatedByCdc}: the tables with a key; those without one are in {plan.InsertsName}';";
            await using (var create = new NpgsqlCommand(CreateStatements(plan.Name, plan.InsertsName, plan.Keyed, keyless, serverVersionNum, plan.Entries) + comment, conn, transaction))
            {
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            return false; // created concurrently by another instance
        }
        catch (PostgresException e)
        {
            throw new ReplicationSetupException($"cannot create publication '{plan.Name}': {e.MessageText}", e);
        }

        ListenerLog.PublicationCreated(logger, plan.Name, plan.Keyed.Count);
        foreach (var table in keyless)
        {
            ListenerLog.InsertsOnlyTable(logger, table.QualifiedName, plan.InsertsName, table.Quoted, plan.Name);
        }

        if (keyless.Count > 0)
        {
            ListenerLog.InsertsPublicationCreated(logger, plan.InsertsName, keyless.Count);
        }

        return true;
    }

    /// <summary>
    /// Tables created after Cdc created its publications (listed, never FOR ALL TABLES): in neither, so not captured.
    /// Only for publications Cdc created over every table; one a person made, or Cdc:Tables, lists what it means to.
    /// </summary>
    private async Task<IReadOnlyList<PublishableTable>> UncoveredTablesAsync(NpgsqlConnection conn, string name, int serverVersionNum, CancellationToken cancellationToken)
    {
        if (options.Tables.Count > 0)
        {
            return [];
        }

        await using (var cmd = new NpgsqlCommand("SELECT coalesce(obj_description(oid, 'pg_publication'), '') FROM pg_publication WHERE pubname = $1", conn))
        {
            cmd.Parameters.AddWithValue(name);
            var comment = (string?)await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (comment?.StartsWith(CreatedByCdc, StringComparison.Ordinal) != true)
            {
                return [];
            }
        }

        var published = new HashSet<string>(StringComparer.Ordinal);
        // The tables as listed (pg_publication_tables would show a partitioned table's partitions instead).
        await using (var cmd = new NpgsqlCommand("""
            SELECT n.nspname || '.' || c.relname
            FROM pg_publication_rel pr
            JOIN pg_publication p ON p.oid = pr.prpubid
            JOIN pg_class c ON c.oid = pr.prrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE p.pubname = ANY($1)
            """, conn))
        {
            cmd.Parameters.AddWithValue(new[] { name, name + InsertsSuffix });
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                published.Add(reader.GetString(0));
            }
        }

        var tables = await TablesAsync(conn, serverVersionNum, cancellationToken).ConfigureAwait(false);
        return tables.Where(t => !published.Contains(t.QualifiedName)).ToList();
    }

    /// <summary>The publication and, when it exists, its inserts-only companion: what the replication stream reads.</summary>
    public async Task<IReadOnlyList<string>> StreamPublicationsAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        var inserts = options.Publication + InsertsSuffix;
        var existing = await ExistingAsync(conn, [options.Publication, inserts], cancellationToken).ConfigureAwait(false);
        return existing.Contains(inserts) ? [options.Publication, inserts] : [options.Publication];
    }

    /// <param name="entries">The FOR TABLE entry of a filtered table (column list, row filter), by schema.table.</param>
    private static string CreateStatements(
        string name, string inserts, IReadOnlyList<PublishableTable> keyed, IReadOnlyList<PublishableTable> keyless, int serverVersionNum, IReadOnlyDictionary<string, string> entries)
    {
        string Entry(PublishableTable t) => entries.GetValueOrDefault(t.QualifiedName) ?? t.Quoted;
        var sql = new StringBuilder($"CREATE PUBLICATION {SourceSetup.Quote(name)}");
        if (keyed.Count > 0)
        {
            sql.Append(" FOR TABLE ").AppendJoin(", ", keyed.Select(Entry));
        }

        sql.Append(';');
        if (keyless.Count > 0)
        {
            // TRUNCATE is published from PostgreSQL 11; an insert-only publication never makes an UPDATE or DELETE fail.
            var publish = serverVersionNum >= 110000 ? "insert, truncate" : "insert";
            sql.Append($" CREATE PUBLICATION {SourceSetup.Quote(inserts)} FOR TABLE ")
                .AppendJoin(", ", keyless.Select(Entry))
                .Append($" WITH (publish = '{publish}');");
        }

        return sql.ToString();
    }

    /// <summary>Cdc:Tables when given (each must exist), else every table a publication can list.</summary>
    private List<PublishableTable> SelectTables(List<PublishableTable> all)
    {
        if (options.Tables.Count == 0)
        {
            return all;
        }

        var byName = all.ToDictionary(t => t.QualifiedName, StringComparer.Ordinal);
        var chosen = new List<PublishableTable>();
        foreach (var table in options.Tables.Select(SourceSetup.SplitQualified).Select(t => t.Schema + "." + t.Table).Distinct(StringComparer.Ordinal))
        {
            chosen.Add(byName.TryGetValue(table, out var found)
                ? found
                : throw new ReplicationSetupException($"Cdc:Tables names {table}, which is not a table a publication can list (missing, temporary or unlogged?)"));
        }

        return chosen;
    }

    private static async Task<List<PublishableTable>> TablesAsync(NpgsqlConnection conn, int serverVersionNum, CancellationToken cancellationToken)
    {
        // Partitioned tables join publications from PostgreSQL 13; before, their partitions are listed one by one.
        await using var cmd = new NpgsqlCommand(TablesSql, conn);
        cmd.Parameters.AddWithValue(serverVersionNum >= 130000);
        var tables = new List<PublishableTable>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            tables.Add(new PublishableTable(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
        }

        return tables;
    }

    private static async Task<HashSet<string>> ExistingAsync(NpgsqlConnection conn, string[] names, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT pubname FROM pg_publication WHERE pubname = ANY($1)", conn);
        cmd.Parameters.AddWithValue(names);
        var found = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }

    private static string Shorten(List<string> tables)
        => tables.Count <= 5 ? string.Join(", ", tables) : string.Join(", ", tables.Take(5)) + $" and {tables.Count - 5} more";
}
