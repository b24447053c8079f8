namespace Cdc.Listener.Outbox;

/// <summary>The outbox table layouts Cdc recognises from a table's columns (docs/outbox.md).</summary>
public enum OutboxShape
{
    /// <summary>Debezium's outbox event router table: id, aggregatetype, aggregateid, type, payload, optional headers.</summary>
    Debezium,

    /// <summary>
    /// The streams SQL driver's egress table: batch_id, in_flight, message_count, write_retries, last_write_error,
    /// raw_data (a <c>cdc.v1.OutboxBatch</c>).
    /// </summary>
    Egress,
}
