namespace Cdc.Listener.Outbox;

/// <summary>What the outbox relay did since the start, for <c>/status</c>, <c>/metrics</c> and <c>cdc status</c>.</summary>
/// <param name="Relayed">Messages JetStream acknowledged.</param>
/// <param name="Refused">Messages not published: refused by NATS (too large, no stream, rejected) or unreadable rows.</param>
/// <param name="RowsDeleted">Rows the clean-up deleted.</param>
/// <param name="RowsRecorded">Egress rows whose write_retries and last_write_error were updated.</param>
/// <param name="LastRefusal">The last refusal: table, row id and reason.</param>
public sealed record OutboxCounters(long Relayed, long Refused, long RowsDeleted, long RowsRecorded, string? LastRefusal);
