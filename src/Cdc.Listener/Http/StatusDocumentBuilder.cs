using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Http;

/// <summary>A consistent-enough snapshot of the live numbers as the <c>/status</c> document.</summary>
internal static class StatusDocumentBuilder
{
    public static StatusDocument Build(ListenerStatus status, ChangeRate rate, DateTimeOffset now)
    {
        var (inFlightBytes, chunks, transactions) = status.InFlight?.Invoke() ?? (0, 0, 0);
        var tables = status.Tables
            .Select(p => new TableCount(p.Key.Table, p.Key.Operation, p.Value.Changes, p.Value.Bytes))
            .OrderBy(t => t.Table, StringComparer.Ordinal)
            .ThenBy(t => t.Operation, StringComparer.Ordinal)
            .ToList();
        return new StatusDocument
        {
            Slot = status.Slot,
            Publication = status.Publication,
            Database = status.Database,
            Listener = new ListenerSection
            {
                State = status.State,
                StartedAt = status.StartedAt,
                UptimeSeconds = Math.Round((now - status.StartedAt).TotalSeconds, 3),
                ChangesPerSecond = Math.Round(rate.PerSecond(status.Changes, now.UtcTicks), 1),
                Changes = status.Changes,
                Bytes = status.Bytes,
                Transactions = status.Transactions,
                InFlightBytes = inFlightBytes,
                MaxInFlightBytes = status.MaxInFlightBytes,
                PendingChunks = chunks,
                PendingTransactions = transactions,
                LastCommitTime = FromMicros(status.LastCommitTimeMicros),
                LastAckedCommitTime = FromMicros(status.LastAckedCommitTimeMicros),
                EndToEndLagSeconds = status.EndToEndLag(now) is { } lag ? Math.Round(lag.TotalSeconds, 6) : null,
                HeartbeatLagSeconds = status.Heartbeat?.Lag is { } beatLag ? Math.Round(beatLag.TotalSeconds, 6) : null,
                HeartbeatAgeSeconds = status.Heartbeat?.Age is { } beatAge ? Math.Round(beatAge.TotalSeconds, 3) : null,
                HeartbeatLate = status.Heartbeat?.IsLate ?? false,
                ConfirmedFlushLsn = new Lsn(status.ConfirmedFlushLsn).ToString(),
                LastReceivedLsn = new Lsn(status.LastReceivedLsn).ToString(),
                ProtocolVersion = status.ProtocolVersion,
                Reconnects = status.Reconnects,
                SkippedTransactions = status.SkippedTransactions,
            },
            Sink = new SinkSection
            {
                Kind = status.Sink,
                Server = status.SinkServer,
                Connection = status.SinkHealth is { } health ? (health.IsConnected ? "connected" : "disconnected") : null,
                DisconnectedSince = status.SinkHealth?.DisconnectedSince,
                ConnectionError = UrlRedaction.RedactOrNull(status.SinkHealth?.LastConnectionError),
                PublishRefusal = status.SinkHealth?.PublishRefusal,
                Stream = status.Stream,
                LastSequence = status.LastStreamSequence,
                PendingAcks = status.PendingAcks?.Invoke(),
                Errors = status.Errors,
                DuplicateAcks = status.DuplicateAcks,
                LastError = status.LastError,
            },
            SlotState = status.SlotState,
            Tables = tables,
            Outbox = status.Outbox?.Invoke() is { } outbox
                ? new OutboxSectionStatus
                {
                    Relayed = outbox.Relayed,
                    Refused = outbox.Refused,
                    RowsDeleted = outbox.RowsDeleted,
                    RowsRecorded = outbox.RowsRecorded,
                    LastRefusal = outbox.LastRefusal,
                }
                : null,
            Backfills = status.Backfills?.Invoke() is { Count: > 0 } backfills ? backfills : null,
        };
    }

    private static DateTimeOffset? FromMicros(long micros) => micros == 0 ? null : DateTimeOffset.UnixEpoch.AddTicks(micros * 10);
}
