using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Http;

/// <summary>A consistent-enough snapshot of the live numbers, read from each area's owner, as the <c>/status</c> document.</summary>
internal static class StatusDocumentBuilder
{
    public static StatusDocument Build(ListenerTelemetry telemetry, ChangeRate rate, DateTimeOffset now)
    {
        var (session, source, changes, sink) = (telemetry.Session, telemetry.Source, telemetry.Changes, telemetry.Sink);
        var instance = session.Instance;
        var (inFlightBytes, chunks, transactions) = telemetry.Delivery.InFlight;
        var heartbeat = source.Heartbeat;
        var tables = changes.Tables
            .Select(p => new TableCount(p.Key.Table, p.Key.Operation, p.Value.Changes, p.Value.Bytes))
            .OrderBy(t => t.Table, StringComparer.Ordinal)
            .ThenBy(t => t.Operation, StringComparer.Ordinal)
            .ToList();
        return new StatusDocument
        {
            Slot = instance.Slot,
            Publication = instance.Publication,
            Database = instance.Database,
            Listener = new ListenerSection
            {
                State = session.State,
                StartedAt = session.StartedAt,
                UptimeSeconds = Math.Round((now - session.StartedAt).TotalSeconds, 3),
                ChangesPerSecond = Math.Round(rate.PerSecond(changes.Changes, now.UtcTicks), 1),
                Changes = changes.Changes,
                Bytes = changes.Bytes,
                Transactions = changes.Transactions,
                InFlightBytes = inFlightBytes,
                MaxInFlightBytes = instance.MaxInFlightBytes,
                PendingChunks = chunks,
                PendingTransactions = transactions,
                LastCommitTime = FromMicros(changes.LastCommitTimeMicros),
                LastAckedCommitTime = FromMicros(changes.LastAckedCommitTimeMicros),
                EndToEndLagSeconds = changes.EndToEndLag(now) is { } lag ? Math.Round(lag.TotalSeconds, 6) : null,
                HeartbeatLagSeconds = heartbeat?.Lag is { } beatLag ? Math.Round(beatLag.TotalSeconds, 6) : null,
                HeartbeatAgeSeconds = heartbeat?.Age is { } beatAge ? Math.Round(beatAge.TotalSeconds, 3) : null,
                HeartbeatLate = heartbeat?.IsLate ?? false,
                ConfirmedFlushLsn = new Lsn(source.ConfirmedFlushLsn).ToString(),
                LastReceivedLsn = new Lsn(source.LastReceivedLsn).ToString(),
                ProtocolVersion = instance.ProtocolVersion,
                Reconnects = source.Reconnects,
                SkippedTransactions = changes.SkippedTransactions,
            },
            Sink = new SinkSection
            {
                Kind = instance.Sink,
                Server = instance.SinkServer,
                Connection = sink.Health is { } health ? (health.IsConnected ? "connected" : "disconnected") : null,
                DisconnectedSince = sink.Health?.DisconnectedSince,
                ConnectionError = UrlRedaction.RedactOrNull(sink.Health?.LastConnectionError),
                PublishRefusal = sink.Health?.PublishRefusal,
                Stream = instance.Stream,
                LastSequence = sink.LastStreamSequence,
                PendingAcks = sink.PendingAcks,
                Errors = session.Errors,
                DuplicateAcks = sink.DuplicateAcks,
                LastError = session.LastError,
            },
            SlotState = source.SlotState,
            Tables = tables,
            Outbox = telemetry.Outbox.Counters is { } outbox
                ? new OutboxSectionStatus
                {
                    Relayed = outbox.Relayed,
                    Refused = outbox.Refused,
                    RowsDeleted = outbox.RowsDeleted,
                    RowsRecorded = outbox.RowsRecorded,
                    LastRefusal = outbox.LastRefusal,
                }
                : null,
            Backfills = telemetry.Backfills.Progress is { Count: > 0 } backfills ? backfills : null,
        };
    }

    private static DateTimeOffset? FromMicros(long micros) => micros == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
}
