using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>Instruments of reading from PostgreSQL (meter <see cref="CdcMeters.Source"/>), observed from <see cref="SourceProgress"/> at collection.</summary>
internal sealed class SourceInstruments
{
    public SourceInstruments(IMeterFactory meters, SourceProgress source)
    {
        var meter = meters.Create(CdcMeters.Source);
        meter.CreateObservableCounter("cdc_reconnects_total", () => source.Reconnects, description: "Replication sessions re-established after an interruption.");
        meter.CreateObservableCounter(
            "cdc_resume_skipped_transactions_total",
            () => source.ResumeSkippedTransactions,
            description: "Transactions the server sent again that the stream already held, skipped on resume.");
        meter.CreateObservableCounter(
            "cdc_resume_skipped_changes_total",
            () => source.ResumeSkippedChanges,
            description: "Changes of a transaction stored in part before a restart, skipped because the stream held them.");
        meter.CreateObservableCounter(
            "cdc_source_gaps_total",
            () => source.SourceGaps,
            description: "Gap events published: WAL ranges never captured because a lost slot was recreated (Cdc:AllowSlotGap).");
        meter.CreateObservableGauge(
            "cdc_confirmed_flush_lsn",
            () => (long)source.ConfirmedFlushLsn,
            description: "Confirmed flush LSN as a number (every change before it is in JetStream).");

        // Only while heartbeats are on (Cdc:Heartbeat:Interval) and one has arrived.
        meter.CreateObservableGauge(
            "cdc_heartbeat_lag_seconds",
            () => source.Heartbeat?.Lag is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            description: "Time from sending the newest arrived heartbeat through the slot to JetStream acknowledging everything before it.");

        // Known once the status sampler has read the slot from PostgreSQL.
        meter.CreateObservableGauge(
            "cdc_slot_lag_bytes",
            () => source.SlotState is { LagBytes: { } lag } ? [new Measurement<long>(lag)] : Array.Empty<Measurement<long>>(),
            description: "WAL bytes between the server's current position and the slot's confirmed flush LSN.");
    }
}
