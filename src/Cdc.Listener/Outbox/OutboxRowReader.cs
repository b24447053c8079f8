using System.Globalization;
using Cdc.Decoding;
using Cdc.V1;
using Google.Protobuf;

namespace Cdc.Listener.Outbox;

/// <summary>
/// Turns an inserted outbox row into the messages it carries: one for a Debezium row, one per batch entry for an egress
/// row. Throws <see cref="OutboxRowException"/> for a row that cannot be relayed (the caller records it).
/// </summary>
internal static class OutboxRowReader
{
    /// <summary>The row id as text (the message id and the clean-up key); null when the id column is NULL.</summary>
    public static string Key(OutboxTable table, ChangeItem change)
        => OutboxValues.Text(change.NewRow!, table.Key, table.KeyColumn)
            ?? throw new OutboxRowException($"{table.KeyColumn.Name} is NULL");

    public static void Read(OutboxTable table, ChangeItem change, string key, IReadOnlyList<KeyValuePair<string, string>>? publishHeaders, List<OutboxRowMessage> messages)
    {
        var common = new List<KeyValuePair<string, string>>(12);
        if (publishHeaders is not null)
        {
            common.AddRange(publishHeaders);
        }

        common.Add(new(OutboxHeaders.Table, table.Name));
        common.Add(new(OutboxHeaders.Id, key));
        common.Add(new(OutboxHeaders.CommitLsn, change.CommitLsn.ToString()));
        common.Add(new(OutboxHeaders.Xid, change.Xid.ToString(CultureInfo.InvariantCulture)));
        if (table.Shape == OutboxShape.Debezium)
        {
            ReadDebezium(table, change, key, common, messages);
        }
        else
        {
            ReadEgress(table, change, key, common, messages);
        }
    }

    private static void ReadDebezium(OutboxTable table, ChangeItem change, string key, List<KeyValuePair<string, string>> headers, List<OutboxRowMessage> messages)
    {
        var row = change.NewRow!;
        var columns = table.Relation.Columns;
        var aggregateType = OutboxValues.Text(row, table.AggregateType, columns[table.AggregateType]) ?? throw new OutboxRowException("aggregatetype is NULL");
        var aggregateId = OutboxValues.Text(row, table.AggregateId, columns[table.AggregateId]);
        var type = OutboxValues.Text(row, table.Type, columns[table.Type]);
        var payloadColumn = columns[table.Payload];
        var payload = OutboxValues.Bytes(row, table.Payload, payloadColumn) ?? ReadOnlyMemory<byte>.Empty;
        headers.Add(new(OutboxHeaders.AggregateType, aggregateType));
        if (aggregateId is not null)
        {
            headers.Add(new(OutboxHeaders.AggregateId, aggregateId));
        }

        if (type is not null)
        {
            headers.Add(new(OutboxHeaders.Type, type));
        }

        if (OutboxValues.IsJson(payloadColumn))
        {
            headers.Add(new(OutboxHeaders.ContentType, "application/json"));
        }

        if (table.Headers >= 0 && OutboxValues.Bytes(row, table.Headers, columns[table.Headers]) is { } json)
        {
            OutboxHeaders.AddApplicationHeaders(headers, json.Span);
        }

        messages.Add(new OutboxRowMessage(aggregateType, "outbox:" + table.Name + ":" + key, payload, headers));
    }

    private static void ReadEgress(OutboxTable table, ChangeItem change, string key, List<KeyValuePair<string, string>> common, List<OutboxRowMessage> messages)
    {
        var row = change.NewRow!;
        var columns = table.Relation.Columns;
        var raw = OutboxValues.Bytes(row, table.Payload, columns[table.Payload]) ?? throw new OutboxRowException("raw_data is NULL");
        OutboxBatch batch;
        try
        {
            batch = OutboxBatch.Parser.ParseFrom(raw.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OutboxRowException($"raw_data is not a cdc.v1.OutboxBatch: {e.Message}");
        }

        var declared = OutboxValues.Text(row, table.MessageCount, columns[table.MessageCount]);
        if (declared is not null && declared != batch.Messages.Count.ToString(CultureInfo.InvariantCulture))
        {
            throw new OutboxRowException($"message_count is {declared} but raw_data holds {batch.Messages.Count} messages");
        }

        for (var i = 0; i < batch.Messages.Count; i++)
        {
            var entry = batch.Messages[i];
            var headers = new List<KeyValuePair<string, string>>(common.Count + 3 + entry.Headers.Count);
            headers.AddRange(common);
            headers.Add(new(OutboxHeaders.Index, i.ToString(CultureInfo.InvariantCulture)));
            if (entry.Key.Length > 0)
            {
                headers.Add(new(OutboxHeaders.AggregateId, entry.Key));
            }

            if (entry.Type.Length > 0)
            {
                headers.Add(new(OutboxHeaders.Type, entry.Type));
            }

            OutboxHeaders.AddApplicationHeaders(headers, entry.Headers);
            var subject = entry.Subject.Length > 0 ? entry.Subject : table.Relation.Name;
            messages.Add(new OutboxRowMessage(subject, "outbox:" + table.Name + ":" + key + ":" + i.ToString(CultureInfo.InvariantCulture), entry.Payload.Memory, headers));
        }
    }
}
