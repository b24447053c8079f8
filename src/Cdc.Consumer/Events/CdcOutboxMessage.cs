using NATS.Client.Core;

namespace Cdc.Consumer.Events;

/// <summary>
/// A message an application wrote into an outbox table (<c>Cdc:Outbox:Tables</c>), relayed by Cdc on
/// <c>&lt;prefix&gt;.&lt;database&gt;._outbox.&lt;subject&gt;</c>: the payload is the application's own bytes, not a Cdc event.
/// Told apart from change events by its <c>Cdc-Outbox-Table</c> header.
/// </summary>
public sealed class CdcOutboxMessage : CdcEvent
{
    internal const string TableHeader = "Cdc-Outbox-Table";

    internal CdcOutboxMessage(CdcEventEnvelope envelope, byte[] payload)
        : base(envelope)
    {
        Payload = payload;
        Table = Header(envelope.Headers, TableHeader) ?? string.Empty;
        OutboxId = Header(envelope.Headers, "Cdc-Outbox-Id") ?? string.Empty;
        AggregateType = Header(envelope.Headers, "Cdc-Outbox-Aggregate-Type");
        AggregateId = Header(envelope.Headers, "Cdc-Outbox-Aggregate-Id");
        Type = Header(envelope.Headers, "Cdc-Outbox-Type");
        CommitLsn = Header(envelope.Headers, "Cdc-Commit-Lsn");
        Xid = uint.TryParse(Header(envelope.Headers, "Cdc-Xid"), out var xid) ? xid : null;
        BatchIndex = int.TryParse(Header(envelope.Headers, "Cdc-Outbox-Index"), out var index) ? index : null;
    }

    /// <summary>The message body as the application wrote it (Debezium <c>payload</c>, or one entry of an egress batch).</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The outbox table, <c>schema.table</c>.</summary>
    public string Table { get; }

    /// <summary>The row id (Debezium <c>id</c>, egress <c>batch_id</c>).</summary>
    public string OutboxId { get; }

    /// <summary>Debezium <c>aggregatetype</c>; null for egress messages.</summary>
    public string? AggregateType { get; }

    /// <summary>Debezium <c>aggregateid</c>, or an egress message's <c>key</c>.</summary>
    public string? AggregateId { get; }

    /// <summary>Debezium <c>type</c>, or an egress message's <c>type</c>.</summary>
    public string? Type { get; }

    /// <summary>Commit LSN (<c>X/Y</c>) of the transaction that inserted the row.</summary>
    public string? CommitLsn { get; }

    /// <summary>Id of the transaction that inserted the row.</summary>
    public uint? Xid { get; }

    /// <summary>Position in its egress batch (from 0); null for a Debezium row.</summary>
    public int? BatchIndex { get; }

    internal static bool IsOutbox(NatsHeaders? headers) => headers is not null && headers.ContainsKey(TableHeader);

    private static string? Header(NatsHeaders? headers, string name)
        => headers is not null && headers.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;
}
