using System.Diagnostics.Metrics;

namespace Cdc.Listener.Telemetry;

/// <summary>
/// Instruments of the outbox relay (meter <see cref="CdcMeters.Outbox"/>), observed from its counters at collection;
/// nothing is reported while no outbox table is configured.
/// </summary>
internal sealed class OutboxInstruments
{
    public OutboxInstruments(IMeterFactory meters, OutboxStatus outbox)
    {
        var meter = meters.Create(CdcMeters.Outbox);
        meter.CreateObservableCounter(
            "cdc_outbox_relayed_total",
            () => Observe(outbox, static c => c.Relayed),
            description: "Outbox messages acknowledged by JetStream.");
        meter.CreateObservableCounter(
            "cdc_outbox_refused_total",
            () => Observe(outbox, static c => c.Refused),
            description: "Outbox messages not published (refused by NATS or unreadable rows); their rows are kept.");
        meter.CreateObservableCounter(
            "cdc_outbox_rows_deleted_total",
            () => Observe(outbox, static c => c.RowsDeleted),
            description: "Relayed outbox rows deleted by Cdc:Outbox:DeleteRelayed.");
        meter.CreateObservableCounter(
            "cdc_outbox_rows_recorded_total",
            () => Observe(outbox, static c => c.RowsRecorded),
            description: "Egress rows whose write_retries and last_write_error Cdc updated.");
    }

    private static IEnumerable<Measurement<long>> Observe(OutboxStatus outbox, Func<Outbox.OutboxCounters, long> value)
        => outbox.Counters is { } counters ? [new Measurement<long>(value(counters))] : [];
}
