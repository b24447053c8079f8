using Cdc.Decoding;

namespace Cdc.Listener.Outbox;

/// <summary>An outbox table as its Relation message describes it: the shape and where each column of the shape is.</summary>
public sealed class OutboxTable
{
    private static readonly string[] DebeziumColumns = ["id", "aggregatetype", "aggregateid", "type", "payload"];
    private static readonly string[] EgressColumns = ["batch_id", "in_flight", "message_count", "write_retries", "last_write_error", "raw_data"];

    private OutboxTable(RelationInfo relation, OutboxShape shape, Func<string, int> index)
    {
        Relation = relation;
        Name = relation.Namespace + "." + relation.Name;
        StatusName = "_outbox." + Name;
        Shape = shape;
        if (shape == OutboxShape.Debezium)
        {
            Key = index("id");
            AggregateType = index("aggregatetype");
            AggregateId = index("aggregateid");
            Type = index("type");
            Payload = index("payload");
            Headers = index("headers");
        }
        else
        {
            Key = index("batch_id");
            MessageCount = index("message_count");
            Payload = index("raw_data");
            AggregateType = AggregateId = Type = Headers = -1;
        }
    }

    public RelationInfo Relation { get; }

    /// <summary>schema.table.</summary>
    public string Name { get; }

    public OutboxShape Shape { get; }

    /// <summary><c>_outbox.schema.table</c>: the ordering key and the status table name of its messages.</summary>
    public string StatusName { get; }

    /// <summary>The row id column (Debezium <c>id</c>, egress <c>batch_id</c>): the message id and the clean-up key.</summary>
    public int Key { get; }

    public ColumnInfo KeyColumn => Relation.Columns[Key];

    /// <summary>Debezium <c>payload</c> or egress <c>raw_data</c>.</summary>
    public int Payload { get; }

    public int AggregateType { get; }

    public int AggregateId { get; }

    public int Type { get; }

    /// <summary>Debezium <c>headers</c> (jsonb), -1 when the table has none.</summary>
    public int Headers { get; }

    public int MessageCount { get; } = -1;

    /// <summary>Recognises the shape from the column names; a table of neither shape is a configuration error.</summary>
    public static OutboxTable Recognise(RelationInfo relation)
    {
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < relation.Columns.Count; i++)
        {
            columns[relation.Columns[i].Name] = i;
        }

        int Index(string name) => columns.TryGetValue(name, out var i) ? i : -1;
        if (EgressColumns.All(columns.ContainsKey))
        {
            return new OutboxTable(relation, OutboxShape.Egress, Index);
        }

        if (DebeziumColumns.All(columns.ContainsKey))
        {
            return new OutboxTable(relation, OutboxShape.Debezium, Index);
        }

        throw new CdcConfigurationException(
            $"Cdc:Outbox:Tables names {relation.Namespace}.{relation.Name}, whose columns ({string.Join(", ", columns.Keys)}) are neither the " +
            $"Debezium outbox shape ({string.Join(", ", DebeziumColumns)}[, headers]) nor the streams egress shape ({string.Join(", ", EgressColumns)}): " +
            "remove it from Cdc:Outbox:Tables or give it one of these shapes (docs/outbox.md)");
    }
}
