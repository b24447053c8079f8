using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>Instruments of reading from PostgreSQL (meter <see cref="CdcMeters.Source"/>), read from <see cref="ListenerStatus"/> at collection.</summary>
internal sealed class SourceInstruments
{
    public SourceInstruments(IMeterFactory meters, ListenerStatus status)
    {
        var meter = meters.Create(CdcMeters.Source);
        meter.CreateObservableCounter("cdc_transactions_total", () => status.Transactions, description: "Transactions decoded.");
        meter.CreateObservableCounter(
            "cdc_skipped_transactions_total",
            () => status.SkippedTransactions,
            description: "Replayed transactions skipped because they were already delivered.");
        meter.CreateObservableCounter("cdc_reconnects_total", () => status.Reconnects, description: "Replication sessions re-established after an interruption.");
        meter.CreateObservableCounter(
            "cdc_resume_skipped_transactions_total",
            () => status.ResumeSkippedTransactions,
            description: "Transactions the server sent again that the stream already held, skipped on resume.");
        meter.CreateObservableCounter(
            "cdc_resume_skipped_changes_total",
            () => status.ResumeSkippedChanges,
            description: "Changes of a transaction stored in part before a restart, skipped because the stream held them.");
        meter.CreateObservableCounter(
            "cdc_source_gaps_total",
            () => status.SourceGaps,
            description: "Gap events published: WAL ranges never captured because a lost slot was recreated (Cdc:AllowSlotGap).");

        // Only while heartbeats are on (Cdc:Heartbeat:Interval) and one has arrived.
        meter.CreateObservableGauge(
            "cdc_heartbeat_lag_seconds",
            () => status.Heartbeat?.Lag is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            description: "Time from sending the newest arrived heartbeat through the slot to JetStream acknowledging everything before it.");

        // Known once the status sampler has read the slot from PostgreSQL.
        meter.CreateObservableGauge(
            "cdc_slot_lag_bytes",
            () => status.SlotState is { LagBytes: { } lag } ? [new Measurement<long>(lag)] : Array.Empty<Measurement<long>>(),
            description: "WAL bytes between the server's current position and the slot's confirmed flush LSN.");
    }
}
