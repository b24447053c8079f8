namespace Cdc.Listener.Telemetry;

/// <summary>
/// The names of Cdc's <see cref="System.Diagnostics.Metrics.Meter"/>s, one per area of the data flow. The exporter
/// (OpenTelemetry's Prometheus exporter on <c>/metrics</c>) listens to exactly these; a new area adds its name here.
/// </summary>
/// <remarks>
/// Instrument names are the Prometheus names users already query (<c>cdc_changes_total</c>, ...): the exporter passes
/// them through untranslated, so a new instrument is named as it should appear on <c>/metrics</c>, with a
/// <c>cdc_</c> prefix, <c>_total</c> on counters and the unit in the name (<c>_bytes</c>, <c>_seconds</c>).
/// Labels are bounded: never a user-controlled value.
/// </remarks>
public static class CdcMeters
{
    /// <summary>The listener as a whole: state, uptime, errors.</summary>
    public const string Listener = "Cdc.Listener";

    /// <summary>Reading from PostgreSQL: the confirmed flush LSN, replays skipped on resume, reconnects, gaps, heartbeats, the slot.</summary>
    public const string Source = "Cdc.Source";

    /// <summary>One session's path from the pipe to the sink: changes and bytes per table, transactions, commit-to-ack lag.</summary>
    public const string Pipeline = "Cdc.Pipeline";

    /// <summary>The ledger: in-flight bytes and chunks, backpressure.</summary>
    public const string Delivery = "Cdc.Delivery";

    /// <summary>Writing to NATS: PubAcks awaited, the stream sequence, duplicate acks.</summary>
    public const string Sink = "Cdc.Sink";

    /// <summary>The outbox relay: messages relayed and refused, rows deleted and recorded.</summary>
    public const string Outbox = "Cdc.Outbox";

    public static IReadOnlyList<string> All { get; } = [Listener, Source, Pipeline, Delivery, Sink, Outbox];
}
