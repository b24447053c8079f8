using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Instruments of the delivery ledger (meter <see cref="CdcMeters.Delivery"/>): gauges read from the ledger at collection,
/// so the push and ack paths pay nothing for them.
/// </summary>
internal sealed class DeliveryInstruments
{
    public DeliveryInstruments(IMeterFactory meters, ListenerStatus status, TimeProvider time)
    {
        var meter = meters.Create(CdcMeters.Delivery);
        meter.CreateObservableGauge("cdc_in_flight_bytes", () => InFlight(status).Bytes, description: "Bytes handed to the sink and not yet acknowledged.");
        meter.CreateObservableGauge(
            "cdc_in_flight_bytes_limit",
            () => status.MaxInFlightBytes,
            description: "In-flight budget: reading from PostgreSQL pauses above it.");
        meter.CreateObservableGauge("cdc_pending_chunks", () => InFlight(status).Chunks, description: "Chunks awaiting acknowledgement.");
        meter.CreateObservableGauge("cdc_pending_transactions", () => InFlight(status).Transactions, description: "Transactions not yet fully acknowledged.");
        meter.CreateObservableCounter(
            "cdc_pusher_budget_waits_total",
            () => status.Ledger is { } ledger ? [new Measurement<long>(ledger().PushWaits)] : Array.Empty<Measurement<long>>(),
            description: "Pushes that waited for in-flight budget (backpressure).");
        meter.CreateObservableCounter(
            "cdc_pusher_budget_wait_seconds_total",
            () => status.Ledger is { } ledger ? [new Measurement<double>(ledger().PushWaitTime.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            description: "Time pushes spent waiting for in-flight budget.");
        meter.CreateObservableGauge(
            "cdc_confirmed_flush_lsn",
            () => (long)status.ConfirmedFlushLsn,
            description: "Confirmed flush LSN as a number (every change before it is in JetStream).");
        meter.CreateObservableGauge(
            "cdc_end_to_end_lag_seconds",
            () => status.EndToEndLag(time.GetUtcNow()) is { } lag ? [new Measurement<double>(lag.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            description: "Commit in PostgreSQL to acknowledgement by JetStream.");
    }

    private static (long Bytes, int Chunks, int Transactions) InFlight(ListenerStatus status) => status.InFlight?.Invoke() ?? (0, 0, 0);
}
