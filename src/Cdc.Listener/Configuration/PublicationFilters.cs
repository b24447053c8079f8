namespace Cdc.Listener.Configuration;

/// <summary>
/// <c>Cdc:ExcludeColumns</c> (columns left out of the stream, e.g. personal data) and <c>Cdc:RowFilters</c> (an SQL
/// condition a row must meet to be published), by table. They become the column lists and row filters of the
/// publication Cdc creates (<c>FOR TABLE t (columns) WHERE (condition)</c>, PostgreSQL 15+), so PostgreSQL itself
/// leaves the data out: it never reaches Cdc, the stream or the initial snapshot.
/// </summary>
internal sealed class PublicationFilters
{
    public const string ExcludeColumnsKey = "Cdc:ExcludeColumns";
    public const string RowFiltersKey = "Cdc:RowFilters";

    /// <summary>PostgreSQL 15: the first with column lists and row filters in publications.</summary>
    public const int MinimumServerVersionNum = 150000;

    private readonly Dictionary<string, TableFilter> _byTable;

    private PublicationFilters(Dictionary<string, TableFilter> byTable) => _byTable = byTable;

    public bool IsEmpty => _byTable.Count == 0;

    public IReadOnlyCollection<TableFilter> Tables => _byTable.Values;

    /// <summary>The settings' filters; throws <see cref="CdcConfigurationException"/> at the first one that is not valid.</summary>
    public static PublicationFilters From(CdcOptions options)
    {
        var byTable = new Dictionary<string, TableFilter>(StringComparer.Ordinal);
        foreach (var (table, columns) in options.ExcludeColumns)
        {
            var (schema, name) = TableName(ExcludeColumnsKey, table);
            var listed = columns.Select(c => c.Trim()).ToList();
            if (listed.Count == 0 || listed.Any(c => c.Length == 0))
            {
                throw new CdcConfigurationException($"{ExcludeColumnsKey}:{table} needs column names, e.g. {ExcludeColumnsKey}:{table}:0=email");
            }

            var filter = Get(byTable, schema, name);
            byTable[filter.QualifiedName] = filter with { Excluded = [.. filter.Excluded.Union(listed, StringComparer.Ordinal)] };
        }

        foreach (var (table, condition) in options.RowFilters)
        {
            var (schema, name) = TableName(RowFiltersKey, table);
            if (string.IsNullOrWhiteSpace(condition))
            {
                throw new CdcConfigurationException($"{RowFiltersKey}:{table} is empty: give an SQL condition on the table's columns, e.g. \"region = 'eu'\", or remove the key");
            }

            if (condition.Contains(';', StringComparison.Ordinal))
            {
                // The condition is put into CREATE PUBLICATION as written: one expression, never a second statement.
                throw new CdcConfigurationException($"{RowFiltersKey}:{table} holds ';': give one SQL condition, without ';'");
            }

            var filter = Get(byTable, schema, name);
            byTable[filter.QualifiedName] = filter with { RowFilter = condition.Trim() };
        }

        return new PublicationFilters(byTable);
    }

    public TableFilter? For(string qualifiedName) => _byTable.GetValueOrDefault(qualifiedName);

    /// <summary>The keys the settings use, for messages: <c>Cdc:ExcludeColumns and Cdc:RowFilters</c>.</summary>
    public string SettingNames
        => string.Join(" and ", new[] { _byTable.Values.Any(f => f.Excluded.Count > 0) ? ExcludeColumnsKey : null, _byTable.Values.Any(f => f.RowFilter is not null) ? RowFiltersKey : null }.OfType<string>());

    private static TableFilter Get(Dictionary<string, TableFilter> byTable, string schema, string name)
        => byTable.GetValueOrDefault(schema + "." + name) ?? new TableFilter(schema, name, [], null);

    private static (string Schema, string Table) TableName(string key, string table)
    {
        var (schema, name) = SplitQualified(table.Trim());
        if (schema.Length == 0 || name.Length == 0 || name.Contains('.', StringComparison.Ordinal))
        {
            throw new CdcConfigurationException($"{key}:{table} is not a table name: use schema.table (e.g. public.customers) or a table of schema public");
        }

        return (schema, name);
    }

    private static (string Schema, string Table) SplitQualified(string table)
    {
        var dot = table.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? ("public", table) : (table[..dot], table[(dot + 1)..]);
    }
}

/// <summary>One table's filters: columns left out, and the condition a row must meet (null: every row).</summary>
internal sealed record TableFilter(string Schema, string Table, IReadOnlyList<string> Excluded, string? RowFilter)
{
    public string QualifiedName => Schema + "." + Table;

    /// <summary>
    /// The table's entry in <c>CREATE PUBLICATION ... FOR TABLE</c>: its name, the columns it keeps (in table order) when
    /// some are left out, and its row filter. Throws when a left-out column is not one of <paramref name="columns"/>.
    /// </summary>
    public string Entry(string quotedTable, IReadOnlyList<string> columns)
    {
        var entry = quotedTable;
        if (Excluded.Count > 0)
        {
            var unknown = Excluded.Where(c => !columns.Contains(c, StringComparer.Ordinal)).ToList();
            if (unknown.Count > 0)
            {
                throw new CdcConfigurationException(
                    $"{PublicationFilters.ExcludeColumnsKey}:{QualifiedName} names {string.Join(", ", unknown)}, not a column of {QualifiedName} (it has {string.Join(", ", columns)})");
            }

            var kept = columns.Where(c => !Excluded.Contains(c, StringComparer.Ordinal)).ToList();
            if (kept.Count == 0)
            {
                throw new CdcConfigurationException(
                    $"{PublicationFilters.ExcludeColumnsKey}:{QualifiedName} leaves out every column of {QualifiedName}: leave the table out of Cdc:Tables instead");
            }

            entry += " (" + string.Join(", ", kept.Select(Quote)) + ")";
        }

        return RowFilter is null ? entry : entry + " WHERE (" + RowFilter + ")";
    }

    /// <summary>What to change when PostgreSQL says these filters would break the application's UPDATE or DELETE.</summary>
    public string CoverageHint => (Excluded.Count > 0, RowFilter is not null) switch
    {
        (true, true) => "keep the key columns published and filter rows on key columns only (or on any column with REPLICA IDENTITY FULL, which then allows no column list)",
        (true, false) => "keep the table's key columns published",
        _ => $"filter on the key columns only, or ALTER TABLE {Quote(Schema)}.{Quote(Table)} REPLICA IDENTITY FULL",
    };

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
