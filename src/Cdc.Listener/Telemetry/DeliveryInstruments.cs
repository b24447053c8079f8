using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Instruments of the delivery ledger (meter <see cref="CdcMeters.Delivery"/>): gauges read from the ledger through
/// <see cref="DeliveryStatus"/> at collection, so the push and ack paths pay nothing for them.
/// </summary>
internal sealed class DeliveryInstruments
{
    public DeliveryInstruments(IMeterFactory meters, DeliveryStatus delivery, SessionStatus session)
    {
        var meter = meters.Create(CdcMeters.Delivery);
        meter.CreateObservableGauge("cdc_in_flight_bytes", () => delivery.InFlight.Bytes, description: "Bytes handed to the sink and not yet acknowledged.");
        meter.CreateObservableGauge(
            "cdc_in_flight_bytes_limit",
            () => session.Instance.MaxInFlightBytes,
            description: "In-flight budget: reading from PostgreSQL pauses above it.");
        meter.CreateObservableGauge("cdc_pending_chunks", () => delivery.InFlight.Chunks, description: "Chunks awaiting acknowledgement.");
        meter.CreateObservableGauge("cdc_pending_transactions", () => delivery.InFlight.Transactions, description: "Transactions not yet fully acknowledged.");
        meter.CreateObservableCounter(
            "cdc_pusher_budget_waits_total",
            () => delivery.Counters is { } counters ? [new Measurement<long>(counters.PushWaits)] : Array.Empty<Measurement<long>>(),
            description: "Pushes that waited for in-flight budget (backpressure).");
        meter.CreateObservableCounter(
            "cdc_pusher_budget_wait_seconds_total",
            () => delivery.Counters is { } counters ? [new Measurement<double>(counters.PushWaitTime.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            description: "Time pushes spent waiting for in-flight budget.");
    }
}
