namespace Cdc.Listener.Outbox;

/// <summary>
/// The column types each shape's values are read as (<see cref="OutboxValues"/>): a table of the right shape whose
/// columns have other types is relayed row by row into refusals, so <c>cdc check</c> names them first.
/// </summary>
internal static class OutboxColumnTypes
{
    private static readonly string[] Texts = ["text", "varchar", "bpchar", "name"];
    private static readonly string[] Integers = ["int2", "int4", "int8"];

    /// <summary>One line per column whose type the relay cannot read, with the type it wants; empty when all fit.</summary>
    public static IReadOnlyList<string> Problems(OutboxTable table)
    {
        var problems = new List<string>();
        void Want(int index, string[] types, string fix)
        {
            if (index >= 0 && table.Relation.Columns[index] is var column && !types.Contains(column.TypeName, StringComparer.Ordinal))
            {
                problems.Add($"column {column.Name} is {column.TypeName}, wanted {fix}");
            }
        }

        Want(table.Key, [.. Integers, .. Texts, "uuid"], "a uuid, integer or text id");
        if (table.Shape == OutboxShape.Debezium)
        {
            Want(table.Payload, ["jsonb", "json", "bytea", .. Texts], "jsonb, json, bytea or text");
            Want(table.AggregateType, Texts, "text or varchar");
            Want(table.Headers, ["jsonb", "json"], "jsonb");
        }
        else
        {
            Want(table.Payload, ["bytea"], "bytea (a serialised cdc.v1.OutboxBatch)");
            Want(table.MessageCount, Integers, "integer");
            Want(Index(table, "write_retries"), Integers, "integer");
            Want(Index(table, "last_write_error"), Texts, "text");
        }

        return problems;
    }

    private static int Index(OutboxTable table, string name)
    {
        for (var i = 0; i < table.Relation.Columns.Count; i++)
        {
            if (table.Relation.Columns[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }
}
