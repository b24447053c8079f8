using System.Text.Json.Serialization;
using Cdc.Listener.Source;
using Cdc.Listener.Telemetry;

namespace Cdc.Listener.Http;

/// <summary>The JSON document of <c>GET /status</c> (snake_case): what <c>cdc status</c> reads.</summary>
public sealed record StatusDocument
{
    public required string Slot { get; init; }

    public required string Publication { get; init; }

    public required string Database { get; init; }

    public required ListenerSection Listener { get; init; }

    public required SinkSection Sink { get; init; }

    /// <summary>The slot as PostgreSQL last reported it to the sidecar; null until first read.</summary>
    public SlotState? SlotState { get; init; }

    public required IReadOnlyList<TableCount> Tables { get; init; }

    /// <summary>Running backfills (<c>cdc backfill</c>); absent when none runs.</summary>
    public IReadOnlyList<BackfillProgress>? Backfills { get; init; }

    /// <summary>The outbox relay (<c>Cdc:Outbox:Tables</c>); null when no outbox table is configured.</summary>
    public OutboxSectionStatus? Outbox { get; init; }
}

/// <summary>What the outbox relay did since the start.</summary>
public sealed record OutboxSectionStatus
{
    /// <summary>Outbox messages JetStream acknowledged.</summary>
    public required long Relayed { get; init; }

    /// <summary>Outbox messages not published (refused by NATS, or unreadable rows): kept in their rows, never retried by Cdc.</summary>
    public required long Refused { get; init; }

    public required long RowsDeleted { get; init; }

    /// <summary>Egress rows whose write_retries and last_write_error Cdc updated.</summary>
    public required long RowsRecorded { get; init; }

    public string? LastRefusal { get; init; }
}

public sealed record ListenerSection
{
    /// <summary>starting, connecting, streaming, standby, reconnecting, draining, stopped.</summary>
    public required string State { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required double UptimeSeconds { get; init; }

    /// <summary>Row changes per second over the last few seconds.</summary>
    public required double ChangesPerSecond { get; init; }

    public required long Changes { get; init; }

    public required long Bytes { get; init; }

    public required long Transactions { get; init; }

    public required long InFlightBytes { get; init; }

    public required long MaxInFlightBytes { get; init; }

    public required int PendingChunks { get; init; }

    public required int PendingTransactions { get; init; }

    /// <summary>Commit time of the newest transaction received.</summary>
    public DateTimeOffset? LastCommitTime { get; init; }

    /// <summary>Commit time of the newest transaction whose changes are all acknowledged.</summary>
    public DateTimeOffset? LastAckedCommitTime { get; init; }

    /// <summary>Commit to JetStream acknowledgement; null before the first transaction.</summary>
    public double? EndToEndLagSeconds { get; init; }

    /// <summary>Send to arrival (acknowledged in JetStream) of the newest heartbeat through the slot; null when off or none yet.</summary>
    public double? HeartbeatLagSeconds { get; init; }

    /// <summary>Since the newest heartbeat arrived; null when heartbeats are off.</summary>
    public double? HeartbeatAgeSeconds { get; init; }

    /// <summary>No heartbeat arrived within Cdc:Heartbeat:Timeout: the pipeline is stalled.</summary>
    public bool HeartbeatLate { get; init; }

    public required string ConfirmedFlushLsn { get; init; }

    public required string LastReceivedLsn { get; init; }

    public required int ProtocolVersion { get; init; }

    public required long Reconnects { get; init; }

    public required long SkippedTransactions { get; init; }
}

public sealed record SinkSection
{
    /// <summary>nats or null.</summary>
    public required string Kind { get; init; }

    public string? Server { get; init; }

    /// <summary>
    /// connected or disconnected (connecting, reconnecting or given up): a sink that is not connected delivers nothing
    /// however idle the listener looks. Null from a sidecar that does not report it.
    /// </summary>
    public string? Connection { get; init; }

    /// <summary>Since when the sink has not been connected; null while connected.</summary>
    public DateTimeOffset? DisconnectedSince { get; init; }

    /// <summary>Why the newest connection attempt failed or the connection was lost (URL secrets masked).</summary>
    public string? ConnectionError { get; init; }

    /// <summary>Why JetStream refuses to store messages right now (stream or server full) and what to change; null while it stores them.</summary>
    public string? PublishRefusal { get; init; }

    public string? Stream { get; init; }

    /// <summary>Stream sequence of the newest acknowledged message.</summary>
    public required ulong LastSequence { get; init; }

    /// <summary>Messages published and awaiting a PubAck (null when the sink does not report it).</summary>
    public int? PendingAcks { get; init; }

    public required long Errors { get; init; }

    public required long DuplicateAcks { get; init; }

    public string? LastError { get; init; }
}

/// <summary>Changes and payload bytes delivered for one table and operation since start.</summary>
public sealed record TableCount(string Table, string Operation, long Changes, long Bytes);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(StatusDocument))]
public sealed partial class StatusJsonContext : JsonSerializerContext;
