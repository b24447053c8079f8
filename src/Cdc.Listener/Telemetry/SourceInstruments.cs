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

        // Known once the status sampler has read the slot from PostgreSQL.
        meter.CreateObservableGauge(
            "cdc_slot_lag_bytes",
            () => status.SlotState is { LagBytes: { } lag } ? [new Measurement<long>(lag)] : Array.Empty<Measurement<long>>(),
            description: "WAL bytes between the server's current position and the slot's confirmed flush LSN.");
    }
}
