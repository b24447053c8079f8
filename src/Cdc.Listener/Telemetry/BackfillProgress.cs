namespace Cdc.Listener.Telemetry;

/// <summary>One requested backfill as <c>/status</c>, <c>/metrics</c> and <c>cdc status</c> show it.</summary>
public sealed record BackfillProgress
{
    public const string Running = "running";
    public const string Queued = "queued";

    public required string Table { get; init; }

    /// <summary><c>running</c>, or <c>queued</c> behind it (backfills run one at a time, in request order).</summary>
    public string State { get; init; } = Running;

    /// <summary>For a queued backfill: 1 runs next. Null for the running one.</summary>
    public int? QueuePosition { get; init; }

    /// <summary>Rows read by acknowledged chunks.</summary>
    public required long RowsDone { get; init; }

    /// <summary>The table's row estimate (pg_class.reltuples; at least the rows done); 0 when unknown (never analyzed).</summary>
    public required long RowsEstimate { get; init; }

    /// <summary>Rows per second since this process took the backfill up.</summary>
    public required double RowsPerSecond { get; init; }

    /// <summary>Seconds left at the current rate, when the estimate and a rate are known.</summary>
    public double? EtaSeconds { get; init; }

    public required long Chunks { get; init; }

    /// <summary>The position the backfill started from (its first low watermark; 0/0 before it started).</summary>
    public required string StartLsn { get; init; }

    public required DateTimeOffset StartedAt { get; init; }
}

