using Cdc.Listener.Configuration;
using Cdc.Listener.Outbox;
using Cdc.Listener.Source;
using Npgsql;

namespace Cdc.Listener.Cli;

/// <summary>
/// <c>cdc check</c> for <c>Cdc:Outbox:Tables</c>: each table's recognised shape, or one line saying what stops the relay
/// and how to fix it (no such table, neither shape, a column type the relay cannot read, not in the publication). What
/// <c>cdc run</c> would otherwise find only at the table's first Relation message, or row by row.
/// </summary>
internal static class OutboxCheck
{
    public static async Task CheckAsync(CdcOptions options, SourcePlan plan, CheckReport report)
    {
        if (options.Outbox.Tables.Count == 0)
        {
            return;
        }

        try
        {
            await using var connection = new NpgsqlConnection(new SourceConnectionStrings(options).ForQueries());
            await connection.OpenAsync().ConfigureAwait(false);
            var published = plan.Publication.Exists ? await PublishedAsync(connection, plan.Publication.StreamPublications).ConfigureAwait(false) : null;
            foreach (var name in OutboxRelay.Names(options.Outbox))
            {
                if (await OutboxCatalog.ReadAsync(connection, name, CancellationToken.None).ConfigureAwait(false) is not { } relation)
                {
                    report.Fail("outbox", $"{name} does not exist in {plan.Database}: create it (DDL of both shapes in docs/outbox.md) or remove it from Cdc:Outbox:Tables");
                    continue;
                }

                OutboxTable table;
                try
                {
                    table = OutboxTable.Recognise(relation);
                }
                catch (CdcConfigurationException e)
                {
                    report.Fail("outbox", e.Message);
                    continue;
                }

                var problems = OutboxColumnTypes.Problems(table);
                if (problems.Count > 0)
                {
                    report.Fail("outbox", $"{name} ({table.Shape} shape): {string.Join("; ", problems)}: ALTER TABLE ... ALTER COLUMN ... TYPE, or every row is refused");
                    continue;
                }

                var inPublication = published?.Contains(name)
                    ?? plan.Publication.Keyed.Concat(plan.Publication.Keyless).Any(t => t.QualifiedName == name);
                if (!inPublication)
                {
                    var fix = plan.Publication.Exists
                        ? $"ALTER PUBLICATION {plan.Publication.Name} ADD TABLE {name}"
                        : "add it to Cdc:Tables";
                    report.Fail("outbox", $"{name} ({table.Shape} shape) is not in the publication{(plan.Publication.Exists ? "s " + string.Join(", ", plan.Publication.StreamPublications) : " cdc run would create")}, so nothing inserted there is relayed: {fix}");
                    continue;
                }

                report.Ok("outbox", $"{name}: {table.Shape} shape ({string.Join(", ", relation.Columns.Select(c => c.Name + " " + c.TypeName))}); its inserted rows are relayed as messages"
                    + (options.Outbox.DeleteRelayed ? ", then deleted" : string.Empty));
            }
        }
        catch (NpgsqlException e)
        {
            report.Fail("outbox", $"cannot read the outbox tables' columns: {e.Message}");
        }
    }

    private static async Task<HashSet<string>> PublishedAsync(NpgsqlConnection connection, IReadOnlyList<string> publications)
    {
        await using var command = new NpgsqlCommand("SELECT DISTINCT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = ANY ($1)", connection);
        command.Parameters.AddWithValue(publications.ToArray());
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
